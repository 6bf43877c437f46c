//go:build unix

package futures_test

import (
	"testing"

	"github.com/goasyncio/asyncio/futures"
)

// BenchmarkProcessPoolCall measures the round trip of a small call to a
// warm worker process: encode, pipe, decode, run, and back.
func BenchmarkProcessPoolCall(b *testing.B) {
	p := futures.NewProcessPool(1)
	defer p.Shutdown(true)
	if _, err := futures.Call(p, square, 1).Result(); err != nil { // start the worker
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := futures.Call(p, square, i).Result(); err != nil {
			b.Fatal(err)
		}
	}
}

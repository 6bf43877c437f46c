package kvsim_test

import (
	"testing"

	"github.com/goasyncio/asyncio/sim"
)

// BenchmarkSeedRun runs one seed of the example a time: two replicas and
// a client on three hosts, 1,000 increments, partitions and crashes.
func BenchmarkSeedRun(b *testing.B) {
	r := run{requests: 1000}
	seed := uint64(1)
	for b.Loop() {
		if f := sim.Replay(seed, r.test); f != nil {
			b.Fatal(f)
		}
		seed++
	}
}

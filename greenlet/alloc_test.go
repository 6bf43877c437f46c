//go:build (amd64 || arm64) && !purego

package greenlet_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/greenlet"
)

// The test needs the assembly goid.Current: the portable fallback allocates
// the buffer that runtime.Stack fills.

func TestSwitchDoesNotAllocate(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	main := greenlet.Current()
	g := greenlet.New(func(...any) any {
		for {
			main.Switch(1)
		}
	})
	g.Switch()
	if n := testing.AllocsPerRun(100, func() { g.Switch(2) }); n != 0 {
		t.Errorf("%v allocations per switch there and back", n)
	}
	g.Kill()
}

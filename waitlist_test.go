package asyncio_test

import (
	"context"
	"errors"
	"testing"

	"github.com/goasyncio/asyncio"
)

// TestUnwoundWaiterLeavesTheLine checks that a main task unwound while it
// waits (here because nothing could ever wake it) leaves the wait list with
// it: what is freed in the next run goes to a live waiter, not to the dead
// one.
func TestUnwoundWaiterLeavesTheLine(t *testing.T) {
	cases := []struct {
		name string
		line func() line
	}{
		{"Queue.Get", queueLine},
		{"Lock.Acquire", lockLine},
		{"Semaphore.Acquire", semaphoreLine},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer noLeaks(t)()
			ln := c.line()
			l := asyncio.NewLoop(asyncio.WithVirtualClock())
			defer l.Close()
			_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) { return 0, ln.stuck(ctx) })
			if !errors.Is(err, asyncio.ErrDeadlock) {
				t.Fatalf("first run = %v, want ErrDeadlock", err)
			}
			_, err = asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
				ln.free()
				return 0, ln.take(ctx)
			})
			if err != nil {
				t.Errorf("second run = %v, want what was freed to be taken", err)
			}
		})
	}
}

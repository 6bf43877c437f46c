package asyncio_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/goasyncio/asyncio"
)

// TestRunRefusedInsideALoop checks that starting a loop from code that a
// running loop runs (a task, the main task, a callback) is refused with
// ErrLoopRunning, as asyncio.run refuses it, and that the function given is
// not run: a nested loop would stall the outer one for its whole run.
func TestRunRefusedInsideALoop(t *testing.T) {
	nested := []struct {
		name  string
		start func(ran *bool) error
	}{
		{"Run", func(ran *bool) error {
			_, err := asyncio.Run(func(ctx context.Context) (int, error) { *ran = true; return 0, nil })
			return err
		}},
		{"RunUntilComplete", func(ran *bool) error {
			l := asyncio.NewLoop()
			defer l.Close()
			_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) { *ran = true; return 0, nil })
			return err
		}},
		{"RunForever", func(ran *bool) error {
			l := asyncio.NewLoop()
			defer l.Close()
			l.CallSoon(func() { *ran = true; l.Stop() })
			return l.RunForever()
		}},
	}
	from := []struct {
		name string
		call func(ctx context.Context, fn func()) error
	}{
		{"main task", func(ctx context.Context, fn func()) error { fn(); return nil }},
		{"task", func(ctx context.Context, fn func()) error {
			_, err := asyncio.Await(ctx, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { fn(); return 0, nil }))
			return err
		}},
		{"task, 200 calls deep", func(ctx context.Context, fn func()) error {
			// deeper than the first look at the stack goes
			_, err := asyncio.Await(ctx, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { deep(200, fn); return 0, nil }))
			return err
		}},
		{"callback", func(ctx context.Context, fn func()) error {
			l, _ := asyncio.GetRunningLoop(ctx)
			done := asyncio.CreateFuture[int](ctx)
			l.CallSoon(func() { fn(); done.SetResult(0) })
			_, err := asyncio.Await(ctx, done)
			return err
		}},
	}
	for _, n := range nested {
		for _, f := range from {
			t.Run(n.name+" from "+f.name, func(t *testing.T) {
				var ran bool
				var err error
				run(t, func(ctx context.Context) (int, error) {
					return 0, f.call(ctx, func() { err = n.start(&ran) })
				})
				if !errors.Is(err, asyncio.ErrLoopRunning) {
					t.Errorf("%s = %v, want an error matching ErrLoopRunning", n.name, err)
				} else if !strings.Contains(err.Error(), "Await") {
					t.Errorf("the error does not say what to do instead: %v", err)
				}
				if ran {
					t.Errorf("%s ran its function inside a running loop", n.name)
				}
			})
		}
	}
}

// TestRunFromAnotherGoroutineOfATask checks that the refusal is about the
// goroutine, not about a loop running somewhere: a goroutine that a task
// starts, and executor work, may run loops of their own.
func TestRunFromAnotherGoroutineOfATask(t *testing.T) {
	got := run(t, func(ctx context.Context) (int, error) {
		return asyncio.ToThread(ctx, func() (int, error) {
			return asyncio.Run(func(ctx context.Context) (int, error) { return 42, nil })
		})
	})
	if got != 42 {
		t.Errorf("Run on an executor goroutine = %d, want 42", got)
	}
}

// deep calls fn n calls down the stack.
func deep(n int, fn func()) {
	if n == 0 {
		fn()
		return
	}
	deep(n-1, fn)
}

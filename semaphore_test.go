package asyncio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

func TestSemaphoreBoundsConcurrency(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		s := asyncio.NewSemaphore(2)
		var ts []asyncio.Awaitable[int]
		for i := range 5 {
			ts = append(ts, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				if err := s.Acquire(ctx); err != nil {
					return 0, err
				}
				defer s.Release()
				r.add("%d at %s", i, now(ctx))
				return 0, asyncio.Sleep(ctx, time.Second)
			}))
		}
		_, err := asyncio.Gather(ctx, ts...)
		if s.Value() != 2 {
			t.Errorf("Value = %d after all released, want 2", s.Value())
		}
		return 0, err
	})
	r.check(t, "0 at 0s", "1 at 0s", "2 at 1s", "3 at 1s", "4 at 2s")
}

func TestSemaphoreCancelledWaiterKeepsNoPermit(t *testing.T) {
	for _, afterHandOver := range []bool{false, true} {
		run(t, func(ctx context.Context) (int, error) {
			s := asyncio.NewSemaphore(1)
			s.Acquire(ctx)
			waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, s.Acquire(ctx) })
			asyncio.Sleep(ctx, 0)
			if afterHandOver {
				s.Release()
				waiter.Cancel()
			} else {
				waiter.Cancel()
				s.Release()
			}
			if _, err := asyncio.Await(ctx, waiter); !errors.Is(err, asyncio.ErrCancelled) {
				t.Errorf("waiter = %v", err)
			}
			if s.Value() != 1 || s.Locked() {
				t.Errorf("after hand-over=%v: Value %d, Locked %v; the permit must come back", afterHandOver, s.Value(), s.Locked())
			}
			return 0, nil
		})
	}
}

func TestSemaphoreNowait(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		s := asyncio.NewSemaphore(1)
		if err := s.AcquireNowait(); err != nil {
			t.Fatal(err)
		}
		if err := s.AcquireNowait(); !errors.Is(err, asyncio.ErrWouldBlock) {
			t.Errorf("AcquireNowait with no permits = %v", err)
		}
		s.Release()
		s.Release() // a plain Semaphore may grow
		if s.Value() != 2 {
			t.Errorf("Value = %d", s.Value())
		}
		return 0, nil
	})
}

func TestBoundedSemaphoreOverRelease(t *testing.T) {
	s := asyncio.NewBoundedSemaphore(1)
	panicMatches(t, mustPanic(t, s.Release), nil, "released more often than acquired")
	panicMatches(t, mustPanic(t, func() { asyncio.NewSemaphore(-1) }), nil, "negative")
}

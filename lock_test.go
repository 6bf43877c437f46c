package asyncio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// holdFor returns a task function that takes the lock, records it, holds it
// for d, and releases it.
func holdFor(l *asyncio.Lock, r *recorder, name string, d time.Duration) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if err := l.Acquire(ctx); err != nil {
			r.add("%s: %v", name, err)
			return 0, err
		}
		r.add("%s got it at %s", name, now(ctx))
		defer l.Release()
		return 0, asyncio.Sleep(ctx, d)
	}
}

func TestLockFIFO(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		var l asyncio.Lock
		var ts []asyncio.Awaitable[int]
		for _, name := range []string{"a", "b", "c"} {
			ts = append(ts, asyncio.CreateTask(ctx, holdFor(&l, &r, name, time.Second)))
		}
		_, err := asyncio.Gather(ctx, ts...)
		if l.Locked() {
			t.Error("locked after every holder released it")
		}
		return 0, err
	})
	r.check(t, "a got it at 0s", "b got it at 1s", "c got it at 2s")
}

func TestLockNoBarging(t *testing.T) {
	// Release hands the lock to the waiter; a task that asks right after the
	// release queues behind it even though the waiter has not run yet.
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		var l asyncio.Lock
		l.Acquire(ctx)
		waiter := asyncio.CreateTask(ctx, holdFor(&l, &r, "waiter", 0))
		asyncio.Sleep(ctx, 0)
		l.Release()
		if err := l.AcquireNowait(); !errors.Is(err, asyncio.ErrWouldBlock) {
			t.Errorf("AcquireNowait right after a hand-over = %v, want ErrWouldBlock", err)
		}
		late := asyncio.CreateTask(ctx, holdFor(&l, &r, "late", 0))
		_, err := asyncio.Gather(ctx, waiter, late)
		return 0, err
	})
	r.check(t, "waiter got it at 0s", "late got it at 0s")
}

func TestLockCancelledWaiterPassesLockOn(t *testing.T) {
	cases := []struct {
		name string
		// cancelAfterRelease: cancel the first waiter after Release handed it
		// the lock (it must pass the lock on) or before (it just leaves).
		cancelAfterRelease bool
	}{{"cancelled while waiting", false}, {"cancelled after the hand-over", true}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r recorder
			run(t, func(ctx context.Context) (int, error) {
				var l asyncio.Lock
				l.Acquire(ctx)
				first := asyncio.CreateTask(ctx, holdFor(&l, &r, "first", 0))
				second := asyncio.CreateTask(ctx, holdFor(&l, &r, "second", 0))
				asyncio.Sleep(ctx, 0)
				if c.cancelAfterRelease {
					l.Release()
					first.Cancel()
				} else {
					first.Cancel()
					l.Release()
				}
				asyncio.Await(ctx, first)
				_, err := asyncio.Await(ctx, second)
				if l.Locked() {
					t.Error("the lock is held by no one but locked")
				}
				return 0, err
			})
			r.check(t, "first: asyncio: cancelled", "second got it at 0s")
		})
	}
}

func TestLockReleaseUnlockedPanics(t *testing.T) {
	var l asyncio.Lock
	panicMatches(t, mustPanic(t, l.Release), nil, "Release of an unlocked Lock")
}

func TestLockAcquireOutsideTaskPanics(t *testing.T) {
	var l asyncio.Lock
	p := mustPanic(t, func() { l.Acquire(context.Background()) })
	panicMatches(t, p, asyncio.ErrNoRunningLoop, "Lock.Acquire")
}

func TestLockUsedFromTwoLoopsPanics(t *testing.T) {
	var l asyncio.Lock
	run(t, func(ctx context.Context) (int, error) { return 0, l.Acquire(ctx) })
	run(t, func(ctx context.Context) (int, error) {
		p := mustPanic(t, func() { l.Acquire(ctx) })
		panicMatches(t, p, nil, "another loop")
		return 0, nil
	})
}

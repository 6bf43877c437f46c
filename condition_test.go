package asyncio_test

import (
	"context"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

func TestConditionNotifyOrderAndCount(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		var c asyncio.Condition
		var ts []asyncio.Awaitable[int]
		for _, name := range []string{"a", "b", "c"} {
			ts = append(ts, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				c.Acquire(ctx)
				defer c.Release()
				err := c.Wait(ctx)
				if !c.Locked() {
					t.Error("Wait returned without the lock")
				}
				r.add("%s notified at %s", name, now(ctx))
				return 0, err
			}))
		}
		asyncio.Sleep(ctx, time.Second)
		c.Acquire(ctx)
		c.Notify(2)
		c.Release()
		asyncio.Sleep(ctx, time.Second)
		c.Acquire(ctx)
		c.NotifyAll()
		c.Release()
		_, err := asyncio.Gather(ctx, ts...)
		return 0, err
	})
	r.check(t, "a notified at 1s", "b notified at 1s", "c notified at 2s")
}

func TestConditionCancelledAfterNotifyPassesItOn(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		c := asyncio.NewCondition(nil)
		waiter := func(name string) func(context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				c.Acquire(ctx)
				defer c.Release()
				err := c.Wait(ctx)
				r.add("%s: %v", name, err)
				return 0, err
			}
		}
		first := asyncio.CreateTask(ctx, waiter("first"))
		second := asyncio.CreateTask(ctx, waiter("second"))
		asyncio.Sleep(ctx, 0)
		c.Acquire(ctx)
		c.Notify(1)
		first.Cancel()
		c.Release()
		_, _, err := asyncio.GatherReturnErrors(ctx, first, second)
		return 0, err
	})
	r.check(t, "first: asyncio: cancelled", "second: <nil>")
}

func TestConditionWaitFor(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		c := asyncio.NewCondition(new(asyncio.Lock))
		n := 0
		waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) {
			c.Acquire(ctx)
			defer c.Release()
			err := c.WaitFor(ctx, func() bool { return n == 3 })
			return now(ctx), err
		})
		for range 3 {
			asyncio.Sleep(ctx, time.Second)
			c.Acquire(ctx)
			n++
			c.NotifyAll()
			c.Release()
		}
		at, err := asyncio.Await(ctx, waiter)
		if at != "3s" || err != nil {
			t.Errorf("WaitFor returned at %s with %v, want 3s", at, err)
		}
		return 0, nil
	})
}

func TestConditionWithoutLockPanics(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var c asyncio.Condition
		panicMatches(t, mustPanic(t, func() { c.Wait(ctx) }), nil, "without holding the lock")
		panicMatches(t, mustPanic(t, func() { c.Notify(1) }), nil, "without holding the lock")
		return 0, nil
	})
}

package asyncio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

func TestEvent(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		var e asyncio.Event
		var ts []asyncio.Awaitable[int]
		for _, name := range []string{"a", "b"} {
			ts = append(ts, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				err := e.Wait(ctx)
				r.add("%s woke at %s", name, now(ctx))
				return 0, err
			}))
		}
		asyncio.Sleep(ctx, time.Second)
		e.Set()
		e.Set() // harmless
		if _, err := asyncio.Gather(ctx, ts...); err != nil {
			return 0, err
		}
		if err := e.Wait(ctx); err != nil || !e.IsSet() {
			t.Errorf("Wait on a set event = %v", err)
		}
		e.Clear()
		_, err := asyncio.WaitFor(ctx, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, e.Wait(ctx) }), time.Second)
		if !errors.Is(err, asyncio.ErrTimeout) {
			t.Errorf("Wait on a cleared event returned %v, want it to block", err)
		}
		return 0, nil
	})
	r.check(t, "a woke at 1s", "b woke at 1s")
}

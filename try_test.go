package asyncio_test

import (
	"context"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// The Try methods succeed exactly when their Nowait twins do, and so do
// not overtake a task that waits its turn.
func TestTryMethods(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var l asyncio.Lock
		if !l.TryAcquire() || l.TryAcquire() {
			t.Error("Lock.TryAcquire: want true on a free lock, then false")
		}
		waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			if err := l.Acquire(ctx); err != nil {
				return 0, err
			}
			l.Release()
			return 0, nil
		})
		asyncio.Sleep(ctx, 0) // the waiter queues
		l.Release()           // and is handed the lock
		if l.TryAcquire() {
			t.Error("Lock.TryAcquire overtook the task the lock was handed to")
		}
		asyncio.Await(ctx, waiter)

		s := asyncio.NewSemaphore(1)
		if !s.TryAcquire() || s.TryAcquire() || s.Value() != 0 {
			t.Errorf("Semaphore.TryAcquire: want true, then false with 0 permits left (have %d)", s.Value())
		}

		q := asyncio.NewQueue[int](1)
		if v, ok := q.TryGet(); ok {
			t.Errorf("TryGet on an empty queue = %d, true", v)
		}
		if !q.TryPut(1) || q.TryPut(2) {
			t.Error("TryPut: want true, then false on a full queue")
		}
		if v, ok := q.TryGet(); !ok || v != 1 {
			t.Errorf("TryGet = %d, %v; want 1, true", v, ok)
		}
		q.Shutdown(false)
		if q.TryPut(3) {
			t.Error("TryPut on a shut-down queue = true")
		}
		return 0, asyncio.Sleep(ctx, time.Millisecond)
	})
}

package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

func TestBarrier(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		b := asyncio.NewBarrier(3)
		var ts []asyncio.Awaitable[int]
		for i := range 6 {
			ts = append(ts, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				asyncio.Sleep(ctx, time.Duration(i)*time.Second)
				idx, err := b.Wait(ctx)
				r.add("task %d passed as %d at %s", i, idx, now(ctx))
				return idx, err
			}))
		}
		_, err := asyncio.Gather(ctx, ts...)
		return 0, err
	})
	// The last to arrive goes on at once; the others when they are woken.
	r.check(t,
		"task 2 passed as 2 at 2s", "task 0 passed as 0 at 2s", "task 1 passed as 1 at 2s",
		"task 5 passed as 2 at 5s", "task 3 passed as 0 at 5s", "task 4 passed as 1 at 5s")
}

func TestBarrierOfOne(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		b := asyncio.NewBarrier(1)
		for range 2 {
			if idx, err := b.Wait(ctx); idx != 0 || err != nil {
				t.Errorf("Wait = %d, %v; want 0, nil at once", idx, err)
			}
		}
		return 0, nil
	})
	panicMatches(t, mustPanic(t, func() { asyncio.NewBarrier(0) }), nil, "at least one party")
}

func TestBarrierAbortAndReset(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		b := asyncio.NewBarrier(2)
		waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return b.Wait(ctx) })
		asyncio.Sleep(ctx, 0)
		if b.Waiting() != 1 {
			t.Errorf("Waiting = %d, want 1", b.Waiting())
		}
		b.Abort()
		if _, err := asyncio.Await(ctx, waiter); !errors.Is(err, asyncio.ErrBrokenBarrier) {
			t.Errorf("a waiter of an aborted barrier got %v", err)
		}
		if _, err := b.Wait(ctx); !errors.Is(err, asyncio.ErrBrokenBarrier) || !b.Broken() {
			t.Errorf("Wait on a broken barrier = %v", err)
		}
		b.Reset()
		other := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return b.Wait(ctx) })
		idx, err := b.Wait(ctx) // main arrives first
		otherIdx, otherErr := asyncio.Await(ctx, other)
		if err != nil || otherErr != nil || idx != 0 || otherIdx != 1 {
			t.Errorf("after Reset: Wait = %d, %v and %d, %v", idx, err, otherIdx, otherErr)
		}
		return 0, nil
	})
}

func TestBarrierCancelledWaiterLeavesRound(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		b := asyncio.NewBarrier(2)
		quitter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return b.Wait(ctx) })
		asyncio.Sleep(ctx, 0)
		quitter.Cancel()
		asyncio.Await(ctx, quitter)
		if b.Waiting() != 0 || b.Broken() {
			t.Errorf("after a waiter was cancelled: Waiting %d, Broken %v", b.Waiting(), b.Broken())
		}
		other := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return b.Wait(ctx) })
		if _, err := b.Wait(ctx); err != nil {
			t.Error(err)
		}
		_, err := asyncio.Await(ctx, other)
		return 0, err
	})
}

// A line is a wait list to test: stuck waits in it where nothing will
// move it, free frees what stuck waited for, and take takes that.
type line struct {
	stuck, take func(ctx context.Context) error
	free        func()
}

func queueLine() line {
	q := asyncio.NewQueue[int](0)
	get := func(ctx context.Context) error { _, err := q.Get(ctx); return err }
	take := func(ctx context.Context) error {
		v, err := q.Get(ctx)
		if err == nil && v != 7 {
			err = fmt.Errorf("got %d, want 7", v)
		}
		return err
	}
	return line{stuck: get, free: func() { q.PutNowait(7) }, take: take}
}

func lockLine() line {
	mu := new(asyncio.Lock)
	twice := func(ctx context.Context) error {
		if err := mu.Acquire(ctx); err != nil {
			return err
		}
		return mu.Acquire(ctx) // not reentrant: waits for itself
	}
	return line{stuck: twice, free: mu.Release, take: mu.Acquire}
}

func semaphoreLine() line {
	s := asyncio.NewSemaphore(0)
	return line{stuck: s.Acquire, free: s.Release, take: s.Acquire}
}

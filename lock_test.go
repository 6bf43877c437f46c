package asyncio_test

import (
	"context"
	"errors"
	"fmt"
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

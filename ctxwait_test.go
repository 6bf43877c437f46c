package asyncio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// ctxWaits are the waits that take a ctx, each set up so that it would
// wait an hour; each returns what the wait returned.
var ctxWaits = []struct {
	name string
	wait func(ctx, own context.Context) error
}{
	{"Sleep", func(ctx, own context.Context) error { return asyncio.Sleep(ctx, time.Hour) }},
	{"Await", func(ctx, own context.Context) error {
		_, err := asyncio.Await(ctx, asyncio.CreateTask(own, func(ctx context.Context) (int, error) { return 0, asyncio.Sleep(ctx, time.Hour) }))
		return err
	}},
	{"Wait", func(ctx, own context.Context) error {
		_, _, err := asyncio.Wait(ctx, []asyncio.Waiter{asyncio.CreateFuture[int](own)}, asyncio.AllCompleted, 0)
		return err
	}},
	{"WaitFor", func(ctx, own context.Context) error {
		_, err := asyncio.WaitFor(ctx, asyncio.CreateFuture[int](own), 2*time.Hour)
		return err
	}},
	{"Event.Wait", func(ctx, own context.Context) error { var e asyncio.Event; return e.Wait(ctx) }},
	{"Lock.Acquire", func(ctx, own context.Context) error {
		var l asyncio.Lock
		l.Acquire(own)
		return l.Acquire(ctx)
	}},
	{"Semaphore.Acquire", func(ctx, own context.Context) error { return asyncio.NewSemaphore(0).Acquire(ctx) }},
	{"Queue.Get", func(ctx, own context.Context) error { _, err := asyncio.NewQueue[int](0).Get(ctx); return err }},
	{"Queue.Put", func(ctx, own context.Context) error {
		q := asyncio.NewQueue[int](1)
		q.Put(own, 1)
		return q.Put(ctx, 2)
	}},
	{"Condition.Wait", func(ctx, own context.Context) error {
		c := asyncio.NewCondition(nil)
		c.Acquire(own)
		defer c.Release()
		return c.Wait(ctx)
	}},
	{"Barrier.Wait", func(ctx, own context.Context) error { _, err := asyncio.NewBarrier(2).Wait(ctx); return err }},
	{"ToThread", func(ctx, own context.Context) error {
		release := make(chan struct{})
		defer close(release)
		_, err := asyncio.ToThread(ctx, func() (int, error) { <-release; return 0, nil })
		return err
	}},
}

// A wait given a ctx with a deadline ends at the deadline, on the loop's
// clock, with an error matching context.DeadlineExceeded; the task itself
// is not cancelled and goes on (Sleep(context.WithTimeout(ctx, 200ms), 2s)
// sleeps 200 ms).
func TestWaitsEndAtTheirCtxDeadline(t *testing.T) {
	for _, w := range ctxWaits {
		t.Run(w.name, func(t *testing.T) {
			run(t, func(own context.Context) (int, error) {
				ctx, cancel := context.WithTimeout(own, 200*time.Millisecond)
				defer cancel()
				err := w.wait(ctx, own)
				l, _ := asyncio.GetRunningLoop(own)
				// The deadline is on the wall clock, which moved on a little
				// between WithTimeout and the wait; on the loop's clock it is
				// rounded up to the millisecond. Executor work holds a
				// virtual clock still: the ctx's own timer ends ToThread.
				at := l.Time()
				inTime := at > 190*time.Millisecond && at <= 200*time.Millisecond || w.name == "ToThread"
				if !errors.Is(err, context.DeadlineExceeded) || !inTime {
					t.Errorf("%s = %v at %v, want DeadlineExceeded at 200ms", w.name, err, at)
				}
				if err := asyncio.Sleep(own, time.Second); err != nil {
					t.Errorf("the task's next Sleep = %v: the task was cancelled", err)
				}
				return 0, nil
			})
		})
	}
}

// A wait given a ctx that another task cancels ends with context.Canceled;
// one given a ctx cancelled already returns at once without suspending.
func TestWaitsEndWhenTheirCtxIsCancelled(t *testing.T) {
	for _, w := range ctxWaits {
		t.Run(w.name, func(t *testing.T) {
			run(t, func(own context.Context) (int, error) {
				ctx, cancel := context.WithCancel(own)
				asyncio.CreateTask(own, func(context.Context) (int, error) { cancel(); return 0, nil })
				if err := w.wait(ctx, own); !errors.Is(err, context.Canceled) || now(own) != "0s" {
					t.Errorf("%s = %v at %s, want Canceled at once", w.name, err, now(own))
				}
				var r recorder
				l, _ := asyncio.GetRunningLoop(own)
				l.CallSoon(func() { r.add("a callback scheduled before") })
				if err := w.wait(ctx, own); !errors.Is(err, context.Canceled) {
					t.Errorf("%s with a cancelled ctx = %v", w.name, err)
				}
				r.add("the wait returned")
				asyncio.Sleep(own, 0)
				r.check(t, "the wait returned", "a callback scheduled before") // it did not suspend
				return 0, nil
			})
		})
	}
}

// A ctx that ends a wait takes nothing: a getter whose ctx expired leaves
// the next item to the getter behind it, and a lock waiter the lock.
func TestCtxEndedWaitTakesNothing(t *testing.T) {
	var r recorder
	run(t, func(own context.Context) (int, error) {
		q := asyncio.NewQueue[int](0)
		asyncio.CreateTask(own, func(own context.Context) (int, error) {
			ctx, cancel := context.WithTimeout(own, time.Second)
			defer cancel()
			_, err := q.Get(ctx)
			r.add("first getter: %v", err)
			return 0, nil
		})
		second := asyncio.CreateTask(own, func(own context.Context) (int, error) { return q.Get(own) })
		asyncio.Sleep(own, 2*time.Second)
		q.Put(own, 7)
		v, err := asyncio.Await(own, second)
		r.add("second getter: %d, %v", v, err)
		return 0, nil
	})
	r.check(t, "first getter: context deadline exceeded", "second getter: 7, <nil>")
}

// Watching a derived ctx starts no goroutine per wait.
func TestCtxWaitsStartNoGoroutine(t *testing.T) {
	run(t, func(own context.Context) (int, error) {
		count := func(derive bool) int {
			var tasks []*asyncio.Task[int]
			for range 50 {
				tasks = append(tasks, asyncio.CreateTask(own, func(ctx context.Context) (int, error) {
					if derive {
						c, cancel := context.WithCancel(ctx)
						defer cancel()
						ctx = c
					}
					return 0, asyncio.Sleep(ctx, time.Hour)
				}))
			}
			asyncio.Sleep(own, 0)
			n := contextGoroutines()
			for _, tk := range tasks {
				tk.Cancel()
			}
			asyncio.Sleep(own, 0)
			return n
		}
		if plain, derived := count(false), count(true); plain != 0 || derived != 0 {
			t.Errorf("the context package started %d goroutines for 50 waits on the tasks' own contexts, %d for 50 on derived ones; want none", plain, derived)
		}
		return 0, nil
	})
}

// A task unwound while it waits with a derived ctx (a deadlocked main task)
// leaves no watch behind.
func TestUnwoundWaitLeavesNoWatch(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	_, err := asyncio.RunUntilComplete(l, func(own context.Context) (int, error) {
		ctx, cancel := context.WithCancel(own)
		defer cancel()
		return asyncio.Await(ctx, asyncio.CreateFuture[int](own))
	})
	if !errors.Is(err, asyncio.ErrDeadlock) || l.Watched() != 0 {
		t.Errorf("RunUntilComplete = %v, with %d watches left; want ErrDeadlock and none", err, l.Watched())
	}
}

// Under the virtual clock, a ctx's deadline is a point on the loop's clock:
// waits one after the other on that ctx, or on a ctx derived from it later,
// end at it, though the wall clock has hardly moved.
func TestContextDeadlineSpansWaits(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		first := asyncio.Sleep(dctx, 1500*time.Millisecond)
		child, cancelChild := context.WithCancel(dctx)
		defer cancelChild()
		second := asyncio.Sleep(child, 1500*time.Millisecond)
		if first != nil || second != context.DeadlineExceeded || now(ctx) != "2s" {
			t.Errorf("Sleeps = %v, %v, ending at %s; want nil, DeadlineExceeded, at 2s", first, second, now(ctx))
		}
		if err := asyncio.Sleep(dctx, time.Second); err != context.DeadlineExceeded || now(ctx) != "2s" {
			t.Errorf("Sleep after the deadline = %v at %s; want DeadlineExceeded at once", err, now(ctx))
		}
		return 0, nil
	})
}

// The ctx of a Group or Timeout made under a derived ctx is bound by it too.
func TestScopesUnderDerivedContext(t *testing.T) {
	cases := []struct {
		name  string
		scope func(ctx context.Context, child *asyncio.Task[int]) error
	}{
		{"Group body waits", func(ctx context.Context, _ *asyncio.Task[int]) error {
			return asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
				g.Go(func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Hour) })
				return asyncio.Sleep(ctx, time.Hour)
			})
		}},
		{"Group children run", func(ctx context.Context, _ *asyncio.Task[int]) error {
			return asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
				g.Go(func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Hour) })
				return nil
			})
		}},
		{"Timeout", func(ctx context.Context, _ *asyncio.Task[int]) error {
			return asyncio.Timeout(ctx, time.Hour, func(ctx context.Context) error {
				return asyncio.Sleep(ctx, time.Hour)
			})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				defer cancel()
				err := c.scope(dctx, nil)
				if !errors.Is(err, context.DeadlineExceeded) || now(ctx) != "2s" {
					t.Errorf("scope = %v at %s; want DeadlineExceeded at 2s", err, now(ctx))
				}
				return 0, asyncio.Sleep(ctx, 0) // the task was not cancelled
			})
		})
	}
}

// A cancellation by a task of the loop ends a wait on the derived ctx in
// the next iteration, as an Event set at the same moment wakes its waiter,
// but after what was scheduled in the cancelling iteration (here the
// cancelling task itself); under the virtual clock too, where nothing else
// is scheduled and the clock must not move first.
func TestDerivedCancelSeenNextIteration(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var cancel context.CancelFunc
		var ev asyncio.Event
		var order []string
		waiter := func(name string, wait func(context.Context) error) asyncio.Awaitable[int] {
			return asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				err := wait(ctx)
				order = append(order, name+" "+now(ctx))
				return 0, err
			})
		}
		onCtx := waiter("ctx", func(ctx context.Context) error {
			dctx, c := context.WithCancel(ctx)
			cancel = c
			return asyncio.Sleep(dctx, time.Hour)
		})
		onEvent := waiter("event", ev.Wait)
		asyncio.Sleep(ctx, time.Second)
		cancel()
		ev.Set()
		asyncio.Sleep(ctx, 0) // the next iteration: the event's waiter, us, then the ctx's
		if len(order) != 1 || order[0] != "event 1s" {
			t.Errorf("resumed %v before us; want only the event's waiter", order)
		}
		asyncio.Sleep(ctx, 0)
		if len(order) != 2 || order[1] != "ctx 1s" {
			t.Errorf("resumed %v; want the ctx's waiter next, at 1s", order)
		}
		_, errCtx := onCtx.Result()
		_, errEvent := onEvent.Result()
		if errCtx != context.Canceled || errEvent != nil {
			t.Errorf("waits returned %v and %v", errCtx, errEvent)
		}
		return 0, nil
	})
}

// Under the virtual clock a ctx's deadline counts from when the ctx was
// made, however much wall time passes before a wait first looks at it (a
// busy machine, or here a step that blocks the loop for a while).
func TestContextDeadlineCountsFromItsMaking(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		time.Sleep(5 * time.Millisecond) // wall time passes, the loop's does not
		err := asyncio.Sleep(dctx, time.Hour)
		if err != context.DeadlineExceeded || now(ctx) != "2s" {
			t.Errorf("Sleep = %v at %s; want DeadlineExceeded at 2s", err, now(ctx))
		}
		return 0, nil
	})
}

package asyncio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// A longSleeper is a task that sleeps long and records how it ended.
type longSleeper struct {
	r    *recorder
	name string
}

func (s longSleeper) start(ctx context.Context) *asyncio.Task[int] {
	return asyncio.CreateTask(ctx, s.run)
}

func (s longSleeper) run(ctx context.Context) (int, error) {
	err := asyncio.Sleep(ctx, 10*time.Second)
	s.r.add("%s: %v at %s", s.name, err, now(ctx))
	return 0, err
}

// waits are the ways a task can wait for others; each runs until what it
// waits for ends, which here is in ten seconds.
var waits = []struct {
	name string
	wait func(ctx context.Context, r *recorder) error
}{
	{"Group", func(ctx context.Context, r *recorder) error {
		return asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
			g.Go(func(ctx context.Context) error { _, err := longSleeper{r, "child"}.run(ctx); return err })
			return nil
		})
	}},
	{"nested Group", func(ctx context.Context, r *recorder) error {
		return asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
			return asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
				g.Go(func(ctx context.Context) error { _, err := longSleeper{r, "child"}.run(ctx); return err })
				return nil
			})
		})
	}},
	{"Gather", func(ctx context.Context, r *recorder) error {
		_, err := asyncio.Gather(ctx, longSleeper{r, "child"}.start(ctx))
		return err
	}},
	{"GatherReturnErrors", func(ctx context.Context, r *recorder) error {
		_, _, err := asyncio.GatherReturnErrors(ctx, longSleeper{r, "child"}.start(ctx))
		return err
	}},
	{"Wait", func(ctx context.Context, r *recorder) error {
		child := longSleeper{r, "child"}.start(ctx)
		_, _, err := asyncio.Wait(ctx, []asyncio.Waiter{child}, asyncio.AllCompleted, 0)
		if err != nil {
			child.Cancel()
		}
		return err
	}},
	{"AsCompleted", func(ctx context.Context, r *recorder) error {
		child := longSleeper{r, "child"}.start(ctx)
		for range asyncio.AsCompleted(ctx, asyncio.Awaitable[int](child)) {
		}
		child.Cancel()
		return asyncio.Sleep(ctx, 0) // the interruption comes here
	}},
	{"WaitFor", func(ctx context.Context, r *recorder) error {
		_, err := asyncio.WaitFor(ctx, longSleeper{r, "child"}.start(ctx), time.Hour)
		return err
	}},
	{"Await", func(ctx context.Context, r *recorder) error {
		_, err := asyncio.Await(ctx, longSleeper{r, "child"}.start(ctx))
		return err
	}},
}

// A Timeout interrupts its function wherever it waits: the function ends at
// the deadline with ErrTimeout, and what it waited for is cancelled
// (asyncio's test_timeouts and test_taskgroups: a timeout around a group,
// around gather, around wait).
func TestTimeoutInterruptsEveryWait(t *testing.T) {
	for _, w := range waits {
		t.Run(w.name, func(t *testing.T) {
			var r recorder
			run(t, func(ctx context.Context) (int, error) {
				err := asyncio.Timeout(ctx, 100*time.Millisecond, func(ctx context.Context) error { return w.wait(ctx, &r) })
				r.add("Timeout: %v at %s", err, now(ctx))
				asyncio.Sleep(ctx, 0)
				return 0, nil
			})
			child, timeout := "child: "+asyncio.ErrCancelled.Error()+" at 100ms", "Timeout: "+asyncio.ErrTimeout.Error()+" at 100ms"
			if w.name == "Wait" {
				// Wait leaves what it waits for running; the function
				// cancels it on the way out, and it ends later.
				r.check(t, timeout, child)
				return
			}
			r.check(t, child, timeout)
		})
	}
}

// A TaskGroup whose child fails interrupts its function wherever it waits,
// and the group returns the child's error.
func TestGroupAbortInterruptsEveryWait(t *testing.T) {
	errChild := errors.New("child failed")
	for _, w := range waits {
		t.Run(w.name, func(t *testing.T) {
			var r recorder
			run(t, func(ctx context.Context) (int, error) {
				err := asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
					g.Go(func(ctx context.Context) error {
						asyncio.Sleep(ctx, time.Second)
						return errChild
					})
					err := w.wait(ctx, &r)
					r.add("body: %v at %s", err, now(ctx))
					return err
				})
				if !errors.Is(err, errChild) || errors.Is(err, asyncio.ErrCancelled) {
					t.Errorf("Group = %v, want only the child's error", err)
				}
				r.add("Group returned at %s", now(ctx))
				asyncio.Sleep(ctx, 0)
				return 0, nil
			})
			child, body, group := "child: "+asyncio.ErrCancelled.Error()+" at 1s", "body: "+asyncio.ErrCancelled.Error()+" at 1s", "Group returned at 1s"
			if w.name == "Wait" {
				r.check(t, body, group, child) // not the group's child: not waited for
				return
			}
			r.check(t, child, body, group)
		})
	}
}

// A task cancelled from outside while its group fails for a child's error
// gets the group's errors, and stays cancelled: its next await ends with
// ErrCancelled (asyncio's test_error_and_cancel).
func TestGroupErrorAndOutsideCancel(t *testing.T) {
	errChild := errors.New("child failed")
	run(t, func(ctx context.Context) (int, error) {
		var e asyncio.Event
		inner := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			err := asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
				g.Go(func(ctx context.Context) error {
					e.Set()
					asyncio.Sleep(ctx, 0)
					return errChild
				})
				return asyncio.Sleep(ctx, time.Second)
			})
			if !errors.Is(err, errChild) {
				t.Errorf("Group = %v, want the child's error", err)
			}
			if n := asyncio.CurrentTask(ctx).Cancelling(); n != 1 {
				t.Errorf("Cancelling after the group = %d, want 1", n)
			}
			err = asyncio.Sleep(ctx, time.Second)
			if !errors.Is(err, asyncio.ErrCancelled) {
				t.Errorf("Sleep after the group = %v, want ErrCancelled", err)
			}
			return 0, err
		})
		e.Wait(ctx)
		inner.Cancel()
		if _, err := asyncio.Await(ctx, inner); !errors.Is(err, asyncio.ErrCancelled) || !inner.Cancelled() {
			t.Errorf("the cancelled task ended with %v, cancelled %v; want cancelled", err, inner.Cancelled())
		}
		return 0, nil
	})
}

// Scopes take back the interruptions they make: after a group that aborted
// or a Timeout that expired, the task has no interruption pending
// (asyncio's test_cancelling_level_preserved, test_nested_groups_both_cancelled).
func TestScopesTakeBackTheirInterruptions(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		errInner, errOuter := errors.New("inner"), errors.New("outer")
		failAt := func(d time.Duration, err error) func(ctx context.Context) error {
			return func(ctx context.Context) error { asyncio.Sleep(ctx, d); return err }
		}
		err := asyncio.Group(ctx, func(ctx context.Context, outer *asyncio.TaskGroup) error {
			err := asyncio.Group(ctx, func(ctx context.Context, inner *asyncio.TaskGroup) error {
				inner.Go(failAt(0, errInner))
				outer.Go(failAt(0, errOuter))
				return asyncio.Sleep(ctx, time.Hour)
			})
			if !errors.Is(err, errInner) {
				t.Errorf("inner Group = %v, want its child's error", err)
			}
			if n := asyncio.CurrentTask(ctx).Cancelling(); n != 1 {
				t.Errorf("Cancelling between the groups = %d, want 1: the outer group's", n)
			}
			return nil
		})
		if !errors.Is(err, errOuter) || errors.Is(err, errInner) {
			t.Errorf("outer Group = %v, want only its child's error", err)
		}
		err = asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Hour) })
		if !errors.Is(err, asyncio.ErrTimeout) {
			t.Errorf("Timeout = %v", err)
		}
		if n := asyncio.CurrentTask(ctx).Cancelling(); n != 0 {
			t.Errorf("Cancelling at the end = %d, want 0", n)
		}
		return 0, asyncio.Sleep(ctx, time.Second) // nothing left over to interrupt it
	})
}

// A Timeout whose deadline has passed already, or is now, interrupts the
// first await of its function, even Sleep(ctx, 0) (asyncio's
// test_timeout_zero and test_timeout_in_the_past_sleep_zero).
func TestTimeoutAlreadyDue(t *testing.T) {
	for _, d := range []time.Duration{0, -11 * time.Second} {
		for _, sleep := range []time.Duration{0, 10 * time.Second} {
			var r recorder
			run(t, func(ctx context.Context) (int, error) {
				asyncio.Sleep(ctx, time.Second) // so that a negative deadline is a loop time too
				err := asyncio.Timeout(ctx, d, func(ctx context.Context) error {
					err := asyncio.Sleep(ctx, sleep)
					r.add("Sleep(%v): %v", sleep, err)
					return err
				})
				r.add("Timeout: %v at %s", err, now(ctx))
				return 0, nil
			})
			r.check(t, "Sleep("+sleep.String()+"): "+asyncio.ErrCancelled.Error(), "Timeout: "+asyncio.ErrTimeout.Error()+" at 1s")
		}
	}
}

// A Timeout whose function returns before its first await, after the
// deadline expired, leaves no interruption behind.
func TestTimeoutDueWithoutAwaitLeavesNothing(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		err := asyncio.Timeout(ctx, 0, func(ctx context.Context) error { return nil })
		if err != nil {
			t.Errorf("Timeout = %v, want nil: fn returned without awaiting", err)
		}
		return 0, asyncio.Sleep(ctx, time.Second)
	})
}

// A Condition waiter that is notified and then cancelled while it takes
// the lock back passes the notification on: another waiter wakes.
func TestConditionNotifiedThenCancelledWhileReacquiring(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		var l asyncio.Lock
		c := asyncio.NewCondition(&l)
		waiter := func(name string) *asyncio.Task[int] {
			return asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				c.Acquire(ctx)
				defer c.Release()
				err := c.Wait(ctx)
				r.add("%s: %v", name, err)
				return 0, err
			})
		}
		first, _ := waiter("first"), waiter("second")
		asyncio.Sleep(ctx, 0)
		c.Acquire(ctx)
		c.Notify(1) // to first, which now waits for the lock we hold
		asyncio.Sleep(ctx, 0)
		first.Cancel()
		asyncio.Sleep(ctx, 0)
		c.Release()
		asyncio.Sleep(ctx, time.Second)
		return 0, nil
	})
	r.check(t, "first: "+asyncio.ErrCancelled.Error(), "second: <nil>")
}

// A Semaphore whose permit was handed to a woken task that has not run yet
// is locked, even when another permit is free meanwhile: Acquire would wait
// (asyncio's Semaphore.locked counts woken waiters).
func TestSemaphoreLockedWhileAPermitIsOwed(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		s := asyncio.NewSemaphore(2)
		s.Acquire(ctx)
		s.Acquire(ctx)
		waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, s.Acquire(ctx) })
		asyncio.Sleep(ctx, 0)
		s.Release() // handed to the waiter
		s.Release() // free
		if !s.Locked() {
			t.Error("Locked = false while a woken waiter has not taken its permit")
		}
		if err := s.AcquireNowait(); !errors.Is(err, asyncio.ErrWouldBlock) {
			t.Errorf("AcquireNowait = %v, want ErrWouldBlock: it would overtake the waiter", err)
		}
		_, err := asyncio.Await(ctx, waiter)
		if s.Locked() || s.Value() != 1 {
			t.Errorf("after the waiter ran: Locked %v, Value %d; want false, 1", s.Locked(), s.Value())
		}
		return 0, err
	})
}

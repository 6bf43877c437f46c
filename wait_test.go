package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures"
)

// sleeper returns a task function that sleeps d and then returns v, or
// fails with err if err is set.
func sleeper(d time.Duration, v int, err error) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		if serr := asyncio.Sleep(ctx, d); serr != nil {
			return 0, serr
		}
		return v, err
	}
}

var errBoom = errors.New("boom")

// names returns the names of the tasks in ws.
func names(ws []asyncio.Waiter) string {
	var s []string
	for _, w := range ws {
		s = append(s, w.(interface{ Name() string }).Name())
	}
	return strings.Join(s, ",")
}

func TestWait(t *testing.T) {
	cases := []struct {
		name          string
		when          asyncio.ReturnWhen
		timeout       time.Duration
		done, pending string
		at            string
	}{
		{"AllCompleted", asyncio.AllCompleted, 0, "slow,fails,fast", "", "3s"},
		{"FirstCompleted", asyncio.FirstCompleted, 0, "fast", "slow,fails", "1s"},
		{"FirstException", asyncio.FirstException, 0, "fails,fast", "slow", "2s"},
		{"timeout", asyncio.AllCompleted, 1500 * time.Millisecond, "fast", "slow,fails", "1.5s"},
		{"timeout after all done", asyncio.AllCompleted, time.Hour, "slow,fails,fast", "", "3s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				ws := []asyncio.Waiter{
					asyncio.CreateTask(ctx, sleeper(3*time.Second, 3, nil), asyncio.WithName("slow")),
					asyncio.CreateTask(ctx, sleeper(2*time.Second, 2, errBoom), asyncio.WithName("fails")),
					asyncio.CreateTask(ctx, sleeper(time.Second, 1, nil), asyncio.WithName("fast")),
				}
				done, pending, err := asyncio.Wait(ctx, ws, c.when, c.timeout)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(done); got != c.done {
					t.Errorf("done = %s, want %s (in input order)", got, c.done)
				}
				if got := names(pending); got != c.pending {
					t.Errorf("pending = %s, want %s", got, c.pending)
				}
				if got := now(ctx); got != c.at {
					t.Errorf("Wait returned at %s, want %s", got, c.at)
				}
				for _, w := range pending {
					if w.(*asyncio.Task[int]).Cancelled() {
						t.Error("Wait cancelled a pending task")
					}
				}
				for _, w := range done {
					tk := w.(*asyncio.Task[int])
					if _, err := tk.Result(); (err != nil) != (tk.Name() == "fails") {
						t.Errorf("%s ended with %v", tk.Name(), err)
					}
				}
				return 0, nil
			})
		})
	}
}

func TestWaitSatisfiedAtOnce(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		doneFut := asyncio.CreateFuture[int](ctx)
		doneFut.SetResult(1)
		failed := asyncio.CreateFuture[int](ctx)
		failed.SetException(errBoom)
		failed.Result()
		pendingFut := asyncio.CreateFuture[int](ctx)
		for _, c := range []struct {
			when asyncio.ReturnWhen
			ws   []asyncio.Waiter
		}{
			{asyncio.FirstCompleted, []asyncio.Waiter{pendingFut, doneFut}},
			{asyncio.FirstException, []asyncio.Waiter{pendingFut, failed}},
			{asyncio.AllCompleted, []asyncio.Waiter{doneFut, failed}},
			{asyncio.AllCompleted, nil},
		} {
			done, pending, err := asyncio.Wait(ctx, c.ws, c.when, 0)
			if err != nil || len(done)+len(pending) != len(c.ws) || now(ctx) != "0s" {
				t.Errorf("%v: done=%d pending=%d err=%v at %s", c.when, len(done), len(pending), err, now(ctx))
			}
		}
		return 0, nil
	})
}

// An unknown ReturnWhen is misuse: Wait panics naming it, as futures.Wait
// does, so the two packages report misuse one way.
func TestWaitUnknownReturnWhen(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		for _, when := range []asyncio.ReturnWhen{0, 9} { // the zero value is no ReturnWhen either
			p := mustPanic(t, func() { asyncio.Wait(ctx, nil, when, 0) })
			fp := mustPanic(t, func() { futures.Wait([]futures.Waitable{}, 0, futures.ReturnWhen(when)) })
			for _, msg := range []any{p, fp} {
				if s, _ := msg.(string); !strings.Contains(s, fmt.Sprintf("unknown ReturnWhen %d; use FirstCompleted", when)) {
					t.Errorf("Wait with ReturnWhen(%d) panicked with %v", when, msg)
				}
			}
		}
		return 0, nil
	})
}

func TestWaitCancelled(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		child := asyncio.CreateTask(ctx, sleeper(time.Hour, 1, nil))
		var waitErr error
		waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			_, _, waitErr = asyncio.Wait(ctx, []asyncio.Waiter{child}, asyncio.AllCompleted, 0)
			return 0, waitErr
		})
		asyncio.Sleep(ctx, time.Second)
		waiter.Cancel()
		asyncio.Await(ctx, waiter)
		if !errors.Is(waitErr, asyncio.ErrCancelled) || child.Done() {
			t.Errorf("Wait = %v, child done = %v; a cancelled Wait leaves the waiters alone", waitErr, child.Done())
		}
		child.Cancel()
		return 0, nil
	})
}

func TestWaitDoesNotLeaveWakers(t *testing.T) {
	// After a Wait times out, the futures it watched must not call back into
	// it: completing them later is harmless.
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		done, _, _ := asyncio.Wait(ctx, []asyncio.Waiter{f}, asyncio.AllCompleted, time.Second)
		if len(done) != 0 {
			t.Error("the future is done")
		}
		f.SetResult(1)
		v, err := asyncio.Await(ctx, f)
		if v != 1 || err != nil {
			t.Errorf("Await = %v, %v", v, err)
		}
		return 0, nil
	})
}

func TestGather(t *testing.T) {
	got := run(t, func(ctx context.Context) ([]int, error) {
		return asyncio.Gather(ctx,
			asyncio.CreateTask(ctx, sleeper(3*time.Second, 3, nil)),
			asyncio.CreateTask(ctx, sleeper(time.Second, 1, nil)),
			asyncio.CreateTask(ctx, sleeper(2*time.Second, 2, nil)))
	})
	if fmt.Sprint(got) != "[3 1 2]" {
		t.Errorf("Gather = %v, want results in argument order", got)
	}
}

func TestGatherEmpty(t *testing.T) {
	got := run(t, func(ctx context.Context) ([]int, error) { return asyncio.Gather[int](ctx) })
	if len(got) != 0 {
		t.Errorf("Gather() = %v", got)
	}
}

func TestGatherFirstErrorLeavesOthersRunning(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		slow := asyncio.CreateTask(ctx, sleeper(3*time.Second, 3, nil))
		_, err := asyncio.Gather(ctx,
			asyncio.CreateTask(ctx, sleeper(2*time.Second, 0, errors.New("second"))),
			asyncio.CreateTask(ctx, sleeper(time.Second, 0, errBoom)),
			slow)
		if err != errBoom || now(ctx) != "1s" {
			t.Errorf("Gather = %v at %s, want the first error to happen, at 1s", err, now(ctx))
		}
		v, err := asyncio.Await(ctx, slow)
		if v != 3 || err != nil {
			t.Errorf("the other task: %v, %v; Gather must leave it running", v, err)
		}
		return 0, nil
	})
}

func TestGatherChildCancelled(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		child := asyncio.CreateTask(ctx, sleeper(time.Hour, 1, nil))
		l, _ := asyncio.GetRunningLoop(ctx)
		l.CallLater(time.Second, func() { child.Cancel() })
		_, err := asyncio.Gather(ctx, child)
		if !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("Gather with a cancelled child = %v", err)
		}
		return 0, nil
	})
}

func TestGatherCancelledCancelsChildren(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		var children []asyncio.Awaitable[int]
		for i := range 2 {
			children = append(children, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				err := asyncio.Sleep(ctx, time.Hour)
				asyncio.Sleep(ctx, time.Second) // clean-up that takes a while
				r.add("child %d ended at %s", i, now(ctx))
				return 0, err
			}))
		}
		gatherer := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			_, err := asyncio.Gather(ctx, children...)
			r.add("Gather returned at %s: %v", now(ctx), err)
			return 0, err
		})
		asyncio.Sleep(ctx, time.Second)
		gatherer.Cancel()
		_, err := asyncio.Await(ctx, gatherer)
		if !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("cancelled Gather = %v", err)
		}
		return 0, nil
	})
	r.check(t, "child 0 ended at 2s", "child 1 ended at 2s", "Gather returned at 2s: asyncio: cancelled")
}

func TestGatherReturnErrors(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		cancelled := asyncio.CreateTask(ctx, sleeper(time.Hour, 0, nil))
		cancelled.Cancel()
		values, errs, err := asyncio.GatherReturnErrors(ctx,
			asyncio.CreateTask(ctx, sleeper(2*time.Second, 2, nil)),
			asyncio.CreateTask(ctx, sleeper(time.Second, 0, errBoom)),
			cancelled)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(values) != "[2 0 0]" || errs[0] != nil || errs[1] != errBoom || !errors.Is(errs[2], asyncio.ErrCancelled) {
			t.Errorf("values=%v errs=%v", values, errs)
		}
		if now(ctx) != "2s" {
			t.Errorf("returned at %s, want 2s: it waits for all", now(ctx))
		}
		return 0, nil
	})
}

func TestGatherMarksErrorsRetrieved(t *testing.T) {
	var reports int
	handler := asyncio.WithExceptionHandler(func(*asyncio.Exception) { reports++ })
	run(t, func(ctx context.Context) (int, error) {
		asyncio.GatherReturnErrors(ctx, asyncio.CreateTask(ctx, sleeper(0, 0, errBoom)))
		asyncio.Gather(ctx, asyncio.CreateTask(ctx, sleeper(0, 0, errBoom)))
		return 0, nil
	}, handler)
	if reports != 0 {
		t.Errorf("%d never-retrieved reports for errors Gather returned", reports)
	}
}

func TestWaitFor(t *testing.T) {
	cases := []struct {
		name    string
		task    func(context.Context) (int, error)
		d       time.Duration
		want    int
		wantErr error
		at      string
	}{
		{"in time", sleeper(time.Second, 1, nil), 2 * time.Second, 1, nil, "1s"},
		{"error in time", sleeper(time.Second, 0, errBoom), 2 * time.Second, 0, errBoom, "1s"},
		{"timeout", sleeper(time.Hour, 1, nil), 2 * time.Second, 0, asyncio.ErrTimeout, "2s"},
		{"zero timeout", sleeper(time.Hour, 1, nil), 0, 0, asyncio.ErrTimeout, "0s"},
		{"refuses cancellation", func(ctx context.Context) (int, error) {
			asyncio.Sleep(ctx, time.Hour)
			return 7, asyncio.Sleep(ctx, time.Second) // clean-up, then a result
		}, 2 * time.Second, 7, nil, "3s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				task := asyncio.CreateTask(ctx, c.task)
				v, err := asyncio.WaitFor(ctx, task, c.d)
				if v != c.want || !errors.Is(err, c.wantErr) || now(ctx) != c.at {
					t.Errorf("WaitFor = %v, %v at %s; want %v, %v at %s", v, err, now(ctx), c.want, c.wantErr, c.at)
				}
				if errors.Is(c.wantErr, asyncio.ErrTimeout) && !task.Cancelled() {
					t.Error("WaitFor did not cancel the task that timed out")
				}
				return 0, nil
			})
		})
	}
}

func TestErrTimeoutMatchesDeadlineExceeded(t *testing.T) {
	if !errors.Is(asyncio.ErrTimeout, context.DeadlineExceeded) {
		t.Error("ErrTimeout does not match context.DeadlineExceeded")
	}
	if !errors.Is(asyncio.ErrCancelled, context.Canceled) {
		t.Error("ErrCancelled does not match context.Canceled")
	}
}

func TestWaitForFuture(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		_, err := asyncio.WaitFor(ctx, f, time.Second)
		if !errors.Is(err, asyncio.ErrTimeout) || !f.Cancelled() {
			t.Errorf("WaitFor = %v, future cancelled = %v", err, f.Cancelled())
		}
		done := asyncio.CreateFuture[int](ctx)
		done.SetResult(3)
		if v, err := asyncio.WaitFor(ctx, done, 0); v != 3 || err != nil {
			t.Errorf("WaitFor of a done future = %v, %v", v, err)
		}
		return 0, nil
	})
}

func TestWaitForCancelledCaller(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		inner := asyncio.CreateTask(ctx, sleeper(time.Hour, 1, nil))
		outer := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return asyncio.WaitFor(ctx, inner, 2*time.Second)
		})
		asyncio.Sleep(ctx, time.Second)
		outer.Cancel()
		_, err := asyncio.Await(ctx, outer)
		if !errors.Is(err, asyncio.ErrCancelled) || errors.Is(err, asyncio.ErrTimeout) || !inner.Cancelled() {
			t.Errorf("outer = %v, inner cancelled = %v", err, inner.Cancelled())
		}
		return 0, nil
	})
}

func TestAsCompleted(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		done := asyncio.CreateFuture[int](ctx)
		done.SetResult(0)
		aws := []asyncio.Awaitable[int]{
			asyncio.CreateTask(ctx, sleeper(3*time.Second, 3, nil)),
			asyncio.CreateTask(ctx, sleeper(time.Second, 1, nil)),
			done,
			asyncio.CreateTask(ctx, sleeper(2*time.Second, 2, errBoom)),
		}
		for aw := range asyncio.AsCompleted(ctx, aws...) {
			v, err := aw.Result()
			r.add("%d %v at %s", v, err, now(ctx))
		}
		return 0, nil
	})
	r.check(t, "0 <nil> at 0s", "1 <nil> at 1s", "0 boom at 2s", "3 <nil> at 3s")
}

func TestAsCompletedBreakAndCancel(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		slow := asyncio.CreateTask(ctx, sleeper(time.Hour, 1, nil))
		fast := asyncio.CreateTask(ctx, sleeper(time.Second, 2, nil))
		for aw := range asyncio.AsCompleted[int](ctx, slow, fast) {
			if v, _ := aw.Result(); v != 2 {
				t.Errorf("first = %d", v)
			}
			break
		}
		if slow.Done() {
			t.Error("breaking out of AsCompleted touched the others")
		}
		// A cancelled iterating task stops iterating.
		iterations := 0
		iterator := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			for range asyncio.AsCompleted[int](ctx, slow) {
				iterations++
			}
			return 0, ctx.Err()
		})
		asyncio.Sleep(ctx, time.Second)
		iterator.Cancel()
		if _, err := asyncio.Await(ctx, iterator); !errors.Is(err, context.Canceled) || iterations != 0 {
			t.Errorf("cancelled iteration: %v after %d iterations", err, iterations)
		}
		slow.Cancel()
		return 0, nil
	})
}

func TestShield(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		inner := asyncio.CreateTask(ctx, sleeper(2*time.Second, 7, nil))
		waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return asyncio.Await(ctx, asyncio.Shield(ctx, inner))
		})
		asyncio.Sleep(ctx, time.Second)
		waiter.Cancel()
		if _, err := asyncio.Await(ctx, waiter); !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("waiter = %v", err)
		}
		v, err := asyncio.Await(ctx, inner)
		if v != 7 || err != nil || now(ctx) != "2s" {
			t.Errorf("shielded task = %v, %v at %s; it must go on", v, err, now(ctx))
		}
		// A shield mirrors its inner's outcome.
		failed := asyncio.CreateTask(ctx, sleeper(0, 0, errBoom))
		if _, err := asyncio.Await(ctx, asyncio.Shield(ctx, failed)); err != errBoom {
			t.Errorf("shield of a failing task = %v", err)
		}
		cancelled := asyncio.CreateTask(ctx, sleeper(time.Hour, 0, nil))
		cancelled.Cancel()
		if _, err := asyncio.Await(ctx, asyncio.Shield(ctx, cancelled)); !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("shield of a cancelled task = %v", err)
		}
		done := asyncio.CreateFuture[int](ctx)
		done.SetResult(5)
		if v, _ := asyncio.Await(ctx, asyncio.Shield(ctx, done)); v != 5 {
			t.Errorf("shield of a done future = %v", v)
		}
		return 0, nil
	})
}

// TestWaitListsAWaiterOnce checks that a waiter given twice is waited for,
// and returned, once, as asyncio.wait does with the set it makes of its
// argument; the slices keep the order of first appearance.
func TestWaitListsAWaiterOnce(t *testing.T) {
	cases := []struct {
		name          string
		when          asyncio.ReturnWhen
		timeout       time.Duration
		copies        int // how many times the pair is listed
		done, pending string
	}{
		{"AllCompleted", asyncio.AllCompleted, 0, 2, "slow,fast", ""},
		{"FirstCompleted", asyncio.FirstCompleted, 0, 2, "fast", "slow"},
		{"FirstException", asyncio.FirstException, 0, 2, "slow,fast", ""},
		{"timeout", asyncio.AllCompleted, 1500 * time.Millisecond, 2, "fast", "slow"},
		{"many copies", asyncio.AllCompleted, 0, 20, "slow,fast", ""},
		{"many copies, FirstCompleted", asyncio.FirstCompleted, 0, 20, "fast", "slow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				slow := asyncio.CreateTask(ctx, sleeper(2*time.Second, 2, nil), asyncio.WithName("slow"))
				fast := asyncio.CreateTask(ctx, sleeper(time.Second, 1, nil), asyncio.WithName("fast"))
				var ws []asyncio.Waiter
				for range c.copies {
					ws = append(ws, slow, fast)
				}
				done, pending, err := asyncio.Wait(ctx, ws, c.when, c.timeout)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(done); got != c.done {
					t.Errorf("done = %s, want %s", got, c.done)
				}
				if got := names(pending); got != c.pending {
					t.Errorf("pending = %s, want %s", got, c.pending)
				}
				slow.Cancel()
				return 0, nil
			})
		})
	}
}

// TestAsCompletedYieldsEachOnce checks that an awaitable given twice is
// yielded once, as asyncio.as_completed does.
func TestAsCompletedYieldsEachOnce(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		a := asyncio.CreateTask(ctx, sleeper(2*time.Second, 2, nil), asyncio.WithName("a"))
		b := asyncio.CreateTask(ctx, sleeper(time.Second, 1, nil), asyncio.WithName("b"))
		done := asyncio.CreateTask(ctx, sleeper(0, 0, nil), asyncio.WithName("done"))
		if _, err := asyncio.Await(ctx, done); err != nil {
			return 0, err
		}
		var got []string
		for aw := range asyncio.AsCompleted[int](ctx, a, done, b, a, done, b) {
			got = append(got, aw.(*asyncio.Task[int]).Name())
		}
		if s := strings.Join(got, ","); s != "done,b,a" {
			t.Errorf("AsCompleted yielded %s, want done,b,a", s)
		}
		return 0, nil
	})
}

// Gather fails at once, without waiting, when an awaitable has failed
// already; the error counts as retrieved.
func TestGatherOfAnAlreadyFailedAwaitable(t *testing.T) {
	errBoom := errors.New("boom")
	run(t, func(ctx context.Context) (int, error) {
		failed := asyncio.CreateFuture[int](ctx)
		failed.SetException(errBoom)
		pending := asyncio.CreateFuture[int](ctx)
		if _, err := asyncio.Gather(ctx, failed, pending); !errors.Is(err, errBoom) || now(ctx) != "0s" {
			t.Errorf("Gather = %v at %s, want the failure at once", err, now(ctx))
		}
		pending.Cancel()
		return 0, nil
	})
}

// Wait and AsCompleted leave no trace on the futures they waited for: once
// they return, a future still pending has no waker of theirs left.
func TestWaitLeavesNoWakers(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		for range 3 {
			asyncio.Wait(ctx, []asyncio.Waiter{f}, asyncio.AllCompleted, time.Second)
		}
		if n := asyncio.Wakers(f); n != 0 {
			t.Errorf("%d wakers left on a future that Wait timed out on", n)
		}
		done := asyncio.CreateFuture[int](ctx)
		done.SetResult(1)
		for range asyncio.AsCompleted(ctx, asyncio.Awaitable[int](done), f) {
			break // with f pending
		}
		if n := asyncio.Wakers(f); n != 0 {
			t.Errorf("%d wakers left on a future after AsCompleted stopped", n)
		}
		f.Cancel()
		return 0, nil
	})
}

// WaitFor with a zero timeout times out at once: an awaitable not done yet
// is cancelled, even one that would finish in its first step.
func TestWaitForZeroTimesOutAtOnce(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		quick := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 7, nil })
		if v, err := asyncio.WaitFor(ctx, quick, 0); !errors.Is(err, asyncio.ErrTimeout) || !quick.Cancelled() {
			t.Errorf("WaitFor(quick, 0) = %v, %v, the task cancelled %v; want ErrTimeout and cancelled", v, err, quick.Cancelled())
		}
		return 0, nil
	})
}

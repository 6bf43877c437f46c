package asyncio_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures"
)

func TestToThreadLeavesTheLoopFree(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		release := make(chan struct{})
		blocked := asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) {
			return asyncio.ToThread(ctx, func() (string, error) {
				<-release // blocks a worker goroutine, not the loop
				return "worker done", nil
			})
		})
		asyncio.Sleep(ctx, 0)
		r.add("the loop runs while the worker blocks")
		close(release)
		v, err := asyncio.Await(ctx, blocked)
		r.add("%s", v)
		return 0, err
	})
	r.check(t, "the loop runs while the worker blocks", "worker done")
}

func TestToThreadErrorsAndPanics(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		if _, err := asyncio.ToThread(ctx, func() (int, error) { return 0, errBoom }); err != errBoom {
			t.Errorf("ToThread error = %v", err)
		}
		_, err := asyncio.ToThread(ctx, func() (int, error) { panic("in a worker") })
		var pe *futures.PanicError
		if !errors.As(err, &pe) {
			t.Errorf("ToThread of a panicking function = %v, want a *futures.PanicError", err)
		}
		return 0, nil
	})
}

func TestExecutorWorkHoldsVirtualClock(t *testing.T) {
	// While a worker runs, virtual time stands still: the sleeping task
	// cannot wake before the work is back, although the work takes real time.
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		sleeper := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			err := asyncio.Sleep(ctx, time.Second)
			r.add("sleeper woke at %s", now(ctx))
			return 0, err
		})
		_, err := asyncio.ToThread(ctx, func() (int, error) {
			time.Sleep(5 * time.Millisecond) // blocking work
			return 0, nil
		})
		r.add("work back at %s", now(ctx))
		asyncio.Await(ctx, sleeper)
		return 0, err
	})
	r.check(t, "work back at 0s", "sleeper woke at 1s")
}

func TestNoDeadlockWhileExecutorWorkInFlight(t *testing.T) {
	v := run(t, func(ctx context.Context) (string, error) {
		return asyncio.ToThread(ctx, func() (string, error) {
			time.Sleep(time.Millisecond)
			return "no false alarm", nil
		})
	})
	if v != "no false alarm" {
		t.Errorf("got %q", v)
	}
}

func TestCancelledToThreadStopsItsRequest(t *testing.T) {
	handlerSaw := make(chan error, 1)
	started := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // a slow response that the client abandons
		handlerSaw <- r.Context().Err()
	}))
	defer srv.Close()
	run(t, func(ctx context.Context) (int, error) {
		fetch := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return asyncio.ToThread(ctx, func() (int, error) {
				req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return 0, err
				}
				resp.Body.Close()
				return resp.StatusCode, nil
			})
		})
		asyncio.ToThread(ctx, func() (int, error) { <-started; return 0, nil })
		fetch.Cancel()
		if _, err := asyncio.Await(ctx, fetch); !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("cancelled fetch = %v", err)
		}
		return 0, nil
	})
	if err := <-handlerSaw; err == nil {
		t.Error("the server did not see the request cancelled")
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestCancelledRunInExecutorCancelsQueuedWork(t *testing.T) {
	pool := futures.NewThreadPool(1)
	defer pool.Shutdown(true)
	run(t, func(ctx context.Context) (int, error) {
		release := make(chan struct{})
		busy := asyncio.RunInExecutor(ctx, pool, func() (int, error) { <-release; return 1, nil })
		ran := false
		queued := asyncio.RunInExecutor(ctx, pool, func() (int, error) { ran = true; return 2, nil })
		queued.Cancel()
		close(release)
		if v, err := asyncio.Await(ctx, busy); v != 1 || err != nil {
			t.Errorf("busy = %v, %v", v, err)
		}
		pool.Shutdown(true) // everything submitted has run or been cancelled
		if ran {
			t.Error("cancelled queued work ran anyway")
		}
		return 0, nil
	})
}

func TestWrapFuture(t *testing.T) {
	run(t, func(ctx context.Context) (string, error) {
		var cf futures.Future[string]
		go cf.SetResult("from elsewhere")
		v, err := asyncio.Await(ctx, asyncio.WrapFuture(ctx, &cf))
		if v != "from elsewhere" || err != nil {
			t.Errorf("WrapFuture = %q, %v", v, err)
		}
		var failed futures.Future[string]
		failed.SetError(errBoom)
		if _, err := asyncio.Await(ctx, asyncio.WrapFuture(ctx, &failed)); err != errBoom {
			t.Errorf("WrapFuture of a failed future = %v", err)
		}
		var pending futures.Future[string]
		wrapped := asyncio.WrapFuture(ctx, &pending)
		wrapped.Cancel()
		if !pending.Cancelled() {
			t.Error("cancelling the wrapper did not cancel the pending future")
		}
		return v, err
	})
}

func TestSetDefaultExecutor(t *testing.T) {
	pool := futures.NewThreadPool(1)
	defer pool.Shutdown(true)
	run(t, func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		l.SetDefaultExecutor(pool)
		release := make(chan struct{})
		f := asyncio.RunInExecutor(ctx, nil, func() (int, error) { <-release; return 1, nil })
		// The pool's only worker is busy with f, so more work waits.
		probe := futures.Submit(pool, func() (int, error) { return 2, nil })
		if probe.State() != futures.Pending {
			t.Errorf("probe is %v; the work did not go to the executor set as default", probe.State())
		}
		close(release)
		_, err := asyncio.Await(ctx, f)
		pool.Shutdown(true) // the loop leaves an executor it was given alone
		return 0, err
	})
}

func TestCancelledTaskCanWaitForItsExecutorWork(t *testing.T) {
	// The pattern RunInExecutor's doc gives for clean-up after a
	// cancellation: await a Shield, then the future itself.
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		release := make(chan struct{})
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			f := asyncio.RunInExecutor(ctx, nil, func() (int, error) { <-release; return 7, nil })
			_, err := asyncio.Await(ctx, asyncio.Shield(ctx, f))
			r.add("shielded await: %v", err)
			v, ferr := asyncio.Await(ctx, f)
			r.add("the work returned %d, %v", v, ferr)
			return v, err
		})
		asyncio.Sleep(ctx, 0)
		task.Cancel()
		asyncio.Sleep(ctx, 0)
		close(release)
		_, err := asyncio.Await(ctx, task)
		if !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("task = %v", err)
		}
		return 0, nil
	})
	r.check(t, "shielded await: asyncio: cancelled", "the work returned 7, <nil>")
}

// Errors of executor work are found under both packages' names: a panic
// as *PanicError of either, a cancellation as either ErrCancelled.
func TestExecutorErrorsMatchAcrossPackages(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		_, err := asyncio.ToThread(ctx, func() (int, error) { panic("boom") })
		var pe *asyncio.PanicError
		var fpe *futures.PanicError
		if !errors.As(err, &pe) || pe.Value != "boom" || !errors.As(err, &fpe) || fpe.Value != "boom" {
			t.Errorf("ToThread's panic = %#v, want a PanicError of both packages with the value", err)
		}
		for _, c := range []struct{ err, target error }{
			{asyncio.ErrCancelled, futures.ErrCancelled}, {futures.ErrCancelled, asyncio.ErrCancelled},
			{asyncio.ErrTimeout, futures.ErrTimeout}, {futures.ErrTimeout, asyncio.ErrTimeout},
		} {
			if !errors.Is(c.err, c.target) {
				t.Errorf("errors.Is(%v, %v) = false", c.err, c.target)
			}
		}
		if errors.Is(asyncio.ErrCancelled, futures.ErrTimeout) {
			t.Error("a cancellation matches a timeout")
		}
		return 0, nil
	})
}

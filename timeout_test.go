package asyncio_test

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

func TestTimeout(t *testing.T) {
	cases := []struct {
		name    string
		d       time.Duration
		body    func(ctx context.Context) error
		wantErr error
		at      string
	}{
		{"in time", 2 * time.Second, func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Second) }, nil, "1s"},
		{"expires", time.Second, func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Hour) }, asyncio.ErrTimeout, "1s"},
		{"zero", 0, func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Hour) }, asyncio.ErrTimeout, "0s"},
		{"body error", time.Second, func(ctx context.Context) error { return errBoom }, errBoom, "0s"},
		{"body swallows expiry", time.Second, func(ctx context.Context) error {
			asyncio.Sleep(ctx, time.Hour)
			return nil // swallowed: still a timeout
		}, asyncio.ErrTimeout, "1s"},
		{"body fails after expiry", time.Second, func(ctx context.Context) error {
			asyncio.Sleep(ctx, time.Hour)
			return errBoom
		}, errBoom, "1s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				err := asyncio.Timeout(ctx, c.d, c.body)
				if !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) || now(ctx) != c.at {
					t.Errorf("Timeout = %v at %s, want %v at %s", err, now(ctx), c.wantErr, c.at)
				}
				if ctx.Err() != nil {
					t.Error("the task's own ctx was cancelled by a timeout inside it")
				}
				// The task goes on normally after the scope.
				return 0, asyncio.Sleep(ctx, time.Second)
			})
		})
	}
}

func TestTimeoutErrorMatchesDeadlineExceeded(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var inner error
		err := asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error {
			asyncio.Sleep(ctx, time.Hour)
			inner = ctx.Err()
			return ctx.Err()
		})
		if inner != context.DeadlineExceeded || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("scope ctx.Err() = %v, Timeout = %v; want DeadlineExceeded", inner, err)
		}
		return 0, nil
	})
}

func TestTimeoutScopeContextWatchedByGoroutine(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		seen := make(chan error, 1)
		asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error {
			derived, cancel := context.WithCancel(ctx)
			defer cancel()
			go func() {
				<-derived.Done()
				seen <- derived.Err()
			}()
			return asyncio.Sleep(ctx, time.Hour)
		})
		if err := <-seen; err != context.DeadlineExceeded {
			t.Errorf("a goroutine watching a context derived from the scope saw %v", err)
		}
		return 0, nil
	})
}

func TestTimeoutCancelledFromOutside(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var got error
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			got = asyncio.Timeout(ctx, time.Hour, func(ctx context.Context) error { return asyncio.Sleep(ctx, 2*time.Hour) })
			return 0, got
		})
		asyncio.Sleep(ctx, time.Second)
		task.Cancel()
		asyncio.Await(ctx, task)
		if !errors.Is(got, asyncio.ErrCancelled) || errors.Is(got, asyncio.ErrTimeout) {
			t.Errorf("Timeout in a cancelled task = %v, want ErrCancelled", got)
		}
		return 0, nil
	})
}

func TestTimeoutNested(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var inner error
		outer := asyncio.Timeout(ctx, time.Hour, func(ctx context.Context) error {
			inner = asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Minute) })
			return asyncio.Sleep(ctx, time.Second) // the outer scope is still good
		})
		if !errors.Is(inner, asyncio.ErrTimeout) || outer != nil || now(ctx) != "2s" {
			t.Errorf("inner %v, outer %v at %s", inner, outer, now(ctx))
		}
		outer = asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error {
			inner = asyncio.Timeout(ctx, time.Hour, func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Minute) })
			return inner
		})
		if !errors.Is(outer, asyncio.ErrTimeout) || !errors.Is(inner, asyncio.ErrCancelled) || errors.Is(inner, asyncio.ErrTimeout) {
			t.Errorf("when the outer expires: inner %v, outer %v", inner, outer)
		}
		return 0, nil
	})
}

func TestTimeoutReschedule(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		err := asyncio.TimeoutAt(ctx, l.Time()+time.Second, func(ctx context.Context) error {
			s := asyncio.TimeoutOf(ctx)
			if s.When() != time.Second {
				t.Errorf("When = %v", s.When())
			}
			s.Reschedule(l.Time() + 3*time.Second)
			if err := asyncio.Sleep(ctx, 2*time.Second); err != nil {
				return err
			}
			return asyncio.Sleep(ctx, time.Hour)
		})
		if !errors.Is(err, asyncio.ErrTimeout) || now(ctx) != "3s" {
			t.Errorf("rescheduled timeout = %v at %s, want it at 3s", err, now(ctx))
		}
		if asyncio.TimeoutOf(ctx) != nil {
			t.Error("TimeoutOf outside any scope is not nil")
		}
		return 0, nil
	})
}

func TestTimeoutRescheduleAfterEndPanics(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var s *asyncio.TimeoutScope
		asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error {
			s = asyncio.TimeoutOf(ctx)
			return nil
		})
		panicMatches(t, mustPanic(t, func() { s.Reschedule(time.Hour) }), nil, "has returned")
		asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error {
			s = asyncio.TimeoutOf(ctx)
			return asyncio.Sleep(ctx, time.Hour)
		})
		panicMatches(t, mustPanic(t, func() { s.Reschedule(time.Hour) }), nil, "expired")
		if !s.Expired() {
			t.Error("Expired = false")
		}
		return 0, nil
	})
}

func TestTimeoutCancelsAwaitedTask(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		inner := asyncio.CreateTask(ctx, sleeper(time.Hour, 1, nil))
		err := asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error {
			_, err := asyncio.Await(ctx, inner)
			return err
		})
		if !errors.Is(err, asyncio.ErrTimeout) || !inner.Cancelled() {
			t.Errorf("Timeout = %v, inner cancelled = %v", err, inner.Cancelled())
		}
		return 0, nil
	})
}

// The ctx a Timeout or a Group gives its function watches the task's; once
// the scope is over it must stop, or a task that runs scopes in a loop
// would keep one registration for each.
func TestScopesLetGoOfTheTaskContext(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		scopes := []struct {
			name string
			run  func() error
		}{
			{"Timeout that ends in time", func() error {
				return asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error { return nil })
			}},
			{"Timeout that expires", func() error {
				return asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Hour) })
			}},
			{"Group that succeeds", func() error {
				return asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error { return nil })
			}},
			{"Group whose child fails", func() error {
				return asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
					g.Go(func(ctx context.Context) error { return errors.New("child failed") })
					return asyncio.Sleep(ctx, time.Hour)
				})
			}},
		}
		for _, s := range scopes {
			for range 3 {
				s.run()
			}
			if n := asyncio.AfterFuncs(ctx); n != 0 {
				t.Errorf("after three of %s: %d functions still registered on the task's ctx", s.name, n)
			}
		}
		return 0, nil
	})
}

// Rescheduling a timeout to the end of the clock disables it.
func TestTimeoutRescheduleToNever(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		err := asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error {
			asyncio.TimeoutOf(ctx).Reschedule(time.Duration(math.MaxInt64))
			return asyncio.Sleep(ctx, time.Hour)
		})
		if err != nil || now(ctx) != "1h0m0s" {
			t.Errorf("Timeout = %v at %s, want nil after the hour", err, now(ctx))
		}
		return 0, nil
	})
}

// The ctx a Timeout gives its function has the deadline, as a wall-clock
// time, for Go code that takes a ctx; the earlier of nested ones; and it
// moves with Reschedule.
func TestTimeoutContextDeadline(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		if _, ok := ctx.Deadline(); ok {
			t.Error("a task's own ctx has a deadline")
		}
		near := func(d time.Time, ok bool, want time.Duration) bool {
			left := time.Until(d)
			return ok && left <= want && left > want-time.Minute // a minute of slack for a slow machine
		}
		return 0, asyncio.Timeout(ctx, time.Hour, func(ctx context.Context) error {
			if d, ok := ctx.Deadline(); !near(d, ok, time.Hour) {
				t.Errorf("Deadline = %v, %v; want an hour from now", d, ok)
			}
			asyncio.Timeout(ctx, 10*time.Hour, func(inner context.Context) error {
				if d, ok := inner.Deadline(); !near(d, ok, time.Hour) {
					t.Errorf("inner Deadline = %v, %v; want the outer's, an hour from now", d, ok)
				}
				return nil
			})
			asyncio.TimeoutOf(ctx).Reschedule(2 * time.Hour)
			if d, ok := ctx.Deadline(); !near(d, ok, 2*time.Hour) {
				t.Errorf("Deadline after Reschedule = %v, %v; want two hours from now", d, ok)
			}
			asyncio.TimeoutOf(ctx).Reschedule(time.Duration(math.MaxInt64))
			if d, ok := ctx.Deadline(); ok {
				t.Errorf("Deadline after Reschedule to never = %v", d)
			}
			return nil
		})
	})
}

func TestTimeoutValue(t *testing.T) {
	cases := []struct {
		name    string
		body    func(ctx context.Context) (string, error)
		want    string
		wantErr error
	}{
		{"in time", func(ctx context.Context) (string, error) {
			return "v", asyncio.Sleep(ctx, time.Second)
		}, "v", nil},
		{"expires", func(ctx context.Context) (string, error) {
			return "", asyncio.Sleep(ctx, time.Hour)
		}, "", asyncio.ErrTimeout},
		// A body that catches its interruption and returns a value has not
		// produced a result in time: the value comes back with ErrTimeout.
		{"swallowed", func(ctx context.Context) (string, error) {
			asyncio.Sleep(ctx, time.Hour)
			return "partial", nil
		}, "partial", asyncio.ErrTimeout},
		{"error", func(ctx context.Context) (string, error) {
			return "", errBoom
		}, "", errBoom},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				v, err := asyncio.TimeoutValue(ctx, 2*time.Second, c.body)
				if v != c.want || !errors.Is(err, c.wantErr) || (c.wantErr == nil && err != nil) {
					t.Errorf("TimeoutValue = %q, %v; want %q, %v", v, err, c.want, c.wantErr)
				}
				return 0, nil
			})
		})
	}
}

// The deadline passes while the awaited future is already resolved but the
// task has not resumed: as in asyncio, the interruption wins, and the
// result is a timeout, not the future's value.
func TestTimeoutWinsOverResultNotYetTaken(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		f := asyncio.CreateFuture[int](ctx)
		l.CallLater(time.Second, func() { f.SetResult(7) }) // before the deadline's timer
		v, err := asyncio.TimeoutValue(ctx, time.Second, func(ctx context.Context) (int, error) {
			return asyncio.Await(ctx, f)
		})
		if !errors.Is(err, asyncio.ErrTimeout) {
			t.Errorf("TimeoutValue = %d, %v; want ErrTimeout", v, err)
		}
		if got, _ := asyncio.CurrentTask(ctx).(*asyncio.Task[int]); got != nil && got.Cancelling() != 0 {
			t.Errorf("Cancelling() = %d after the scope, want 0", got.Cancelling())
		}
		return 0, asyncio.Sleep(ctx, 0) // no interruption is left over
	})
}

func TestTimeoutValueOutsideTaskPanics(t *testing.T) {
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, asyncio.ErrNoRunningLoop) {
			t.Errorf("recovered %v, want ErrNoRunningLoop", err)
		}
	}()
	asyncio.TimeoutValue(context.Background(), time.Second, func(context.Context) (int, error) { return 0, nil })
}

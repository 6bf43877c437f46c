package asyncio_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

var errShutdown = errors.New("shutting down")

// isCauseCancellation reports whether err is a cancellation carrying
// errShutdown, as every error of a task cancelled with that cause must be.
func isCauseCancellation(err error) bool {
	return errors.Is(err, asyncio.ErrCancelled) && errors.Is(err, context.Canceled) &&
		errors.Is(err, errShutdown) && strings.HasSuffix(err.Error(), ": shutting down")
}

func TestTaskCancelWithCause(t *testing.T) {
	cases := []struct {
		name string
		body func(ctx context.Context) (int, error)
	}{
		{"sleeping", func(ctx context.Context) (int, error) {
			return 0, asyncio.Sleep(ctx, time.Hour)
		}},
		{"awaiting a future", func(ctx context.Context) (int, error) {
			return asyncio.Await(ctx, asyncio.CreateFuture[int](ctx))
		}},
		{"awaiting a task", func(ctx context.Context) (int, error) {
			inner := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				err := asyncio.Sleep(ctx, time.Hour)
				if !isCauseCancellation(err) {
					return 0, errors.New("inner task's Sleep returned " + err.Error())
				}
				return 0, err
			})
			return asyncio.Await(ctx, inner)
		}},
		{"in Gather", func(ctx context.Context) (int, error) {
			a := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				return 0, asyncio.Sleep(ctx, time.Hour)
			})
			_, err := asyncio.Gather(ctx, a)
			if _, aerr := a.Result(); !isCauseCancellation(aerr) {
				return 0, errors.New("gathered task ended with " + aerr.Error())
			}
			return 0, err
		}},
		{"in a lock", func(ctx context.Context) (int, error) {
			var l asyncio.Lock
			l.AcquireNowait()
			return 0, l.Acquire(ctx)
		}},
		{"never started", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				body := c.body
				if body == nil {
					body = func(context.Context) (int, error) { return 1, nil }
				}
				tk := asyncio.CreateTask(ctx, body)
				if c.body != nil {
					asyncio.Sleep(ctx, time.Second) // it suspends
				}
				if !tk.CancelWithCause(errShutdown) {
					t.Fatal("CancelWithCause of a pending task = false")
				}
				_, err := asyncio.Await(ctx, tk)
				if !isCauseCancellation(err) || !tk.Cancelled() {
					t.Errorf("Await of the task = %v (cancelled %v); want a cancellation with the cause", err, tk.Cancelled())
				}
				if tk.CancelWithCause(errShutdown) {
					t.Error("CancelWithCause of a done task = true")
				}
				return 0, nil
			})
		})
	}
}

// A later interruption replaces the cause, as a later cancel(msg) does in
// asyncio; a plain Cancel has none.
func TestTaskCancelCauseReplaced(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var errs []error
		tk := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			errs = append(errs, asyncio.Sleep(ctx, time.Hour))
			errs = append(errs, asyncio.Sleep(ctx, time.Hour))
			return 0, nil
		})
		asyncio.Sleep(ctx, time.Second)
		tk.CancelWithCause(errShutdown)
		asyncio.Sleep(ctx, time.Second)
		tk.Cancel()
		asyncio.Await(ctx, tk)
		if len(errs) != 2 || !isCauseCancellation(errs[0]) || errs[1] != asyncio.ErrCancelled {
			t.Errorf("waits returned %v; want the cause, then plain ErrCancelled", errs)
		}
		return 0, nil
	})
}

func TestFutureCancelWithCause(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return asyncio.Await(ctx, f)
		})
		asyncio.Sleep(ctx, 0)
		if !f.CancelWithCause(errShutdown) || !f.Cancelled() {
			t.Fatal("CancelWithCause did not cancel the future")
		}
		if _, err := f.Result(); !isCauseCancellation(err) {
			t.Errorf("Result = %v; want a cancellation with the cause", err)
		}
		if _, err := asyncio.Await(ctx, waiter); !isCauseCancellation(err) {
			t.Errorf("the awaiting task got %v; want a cancellation with the cause", err)
		}
		return 0, nil
	})
}

// A loop made WithContext whose ctx is cancelled with a cause passes the
// cause to the main task's wait.
func TestWithContextCauseReachesMain(t *testing.T) {
	parent, cancel := context.WithCancelCause(context.Background())
	var got error
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			cancel(errShutdown)
			return 0, nil
		})
		got = asyncio.Sleep(ctx, time.Hour)
		return 0, got
	}, asyncio.WithVirtualClock(), asyncio.WithContext(parent))
	if !isCauseCancellation(got) || !isCauseCancellation(err) {
		t.Errorf("main's Sleep = %v, Run = %v; want cancellations with the cause", got, err)
	}
}

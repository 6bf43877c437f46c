package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// The suite runs on the virtual clock; these cases run the core behaviours
// once more on the real one, where time passes while callbacks run and an
// idle loop blocks in the operating system. They check outcomes and order,
// never how long anything took. Durations are a few milliseconds apart, so
// that a slow machine changes nothing but the wall time.
func TestCoreOnTheRealClock(t *testing.T) {
	const ms = time.Millisecond
	cases := []struct {
		name string
		main func(ctx context.Context) (string, error)
		want string
	}{
		{"timers fire by deadline", func(ctx context.Context) (string, error) {
			var order []string
			var ts []asyncio.Awaitable[int]
			for _, d := range []int{120, 40, 80, 0} {
				ts = append(ts, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
					err := asyncio.Sleep(ctx, time.Duration(d)*ms)
					order = append(order, fmt.Sprint(d))
					return d, err
				}))
			}
			vs, err := asyncio.Gather(ctx, ts...)
			return fmt.Sprint(order, vs), err
		}, "[0 40 80 120] [120 40 80 0]"},
		{"Sleep(0) lets every ready task run once", func(ctx context.Context) (string, error) {
			var order []string
			var ts []asyncio.Awaitable[int]
			for _, name := range []string{"a", "b"} {
				ts = append(ts, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
					for i := range 3 {
						order = append(order, fmt.Sprint(name, i))
						asyncio.Sleep(ctx, 0)
					}
					return 0, nil
				}))
			}
			_, err := asyncio.Gather(ctx, ts...)
			return strings.Join(order, " "), err
		}, "a0 b0 a1 b1 a2 b2"},
		{"WaitFor times out and cancels", func(ctx context.Context) (string, error) {
			slow := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				return 0, asyncio.Sleep(ctx, time.Hour)
			})
			_, err := asyncio.WaitFor(ctx, slow, 10*ms)
			return fmt.Sprint(errors.Is(err, asyncio.ErrTimeout), slow.Cancelled()), nil
		}, "true true"},
		{"Timeout expires and the task goes on", func(ctx context.Context) (string, error) {
			err := asyncio.Timeout(ctx, 10*ms, func(ctx context.Context) error {
				return asyncio.Sleep(ctx, time.Hour)
			})
			return fmt.Sprint(errors.Is(err, asyncio.ErrTimeout), asyncio.Sleep(ctx, ms)), nil
		}, "true <nil>"},
		{"a group aborts when a child fails", func(ctx context.Context) (string, error) {
			var sibling error
			err := asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
				g.Go(func(ctx context.Context) error {
					sibling = asyncio.Sleep(ctx, time.Hour)
					return sibling
				})
				g.Go(func(ctx context.Context) error {
					asyncio.Sleep(ctx, 5*ms)
					return errBoom
				})
				return nil
			})
			return fmt.Sprint(errors.Is(err, errBoom), errors.Is(sibling, asyncio.ErrCancelled)), nil
		}, "true true"},
		{"cancel with a cause reaches the awaited task", func(ctx context.Context) (string, error) {
			inner := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				return 0, asyncio.Sleep(ctx, time.Hour)
			})
			outer := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				return asyncio.Await(ctx, inner)
			})
			asyncio.Sleep(ctx, 5*ms)
			outer.CancelWithCause(errShutdown)
			_, err := asyncio.Await(ctx, outer)
			_, ierr := inner.Result()
			return fmt.Sprint(isCauseCancellation(err), isCauseCancellation(ierr)), nil
		}, "true true"},
		{"lock waiters are served in order", func(ctx context.Context) (string, error) {
			var l asyncio.Lock
			var order []string
			var ts []asyncio.Awaitable[int]
			for _, name := range []string{"a", "b", "c"} {
				ts = append(ts, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
					if err := l.Acquire(ctx); err != nil {
						return 0, err
					}
					defer l.Release()
					order = append(order, name)
					return 0, asyncio.Sleep(ctx, 2*ms)
				}))
			}
			_, err := asyncio.Gather(ctx, ts...)
			return strings.Join(order, ""), err
		}, "abc"},
		{"a bounded queue passes every item once, in order", func(ctx context.Context) (string, error) {
			q := asyncio.NewQueue[int](2)
			producer := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				for i := range 20 {
					if err := q.Put(ctx, i); err != nil {
						return 0, err
					}
				}
				q.Shutdown(false)
				return 0, nil
			})
			var got []int
			for v := range q.All(ctx) {
				got = append(got, v)
				if v%5 == 0 {
					asyncio.Sleep(ctx, ms)
				}
			}
			_, err := asyncio.Await(ctx, producer)
			return fmt.Sprint(slices.Equal(got, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19})), err
		}, "true"},
		{"a derived ctx's deadline ends a wait without cancelling the task", func(ctx context.Context) (string, error) {
			dctx, cancel := context.WithTimeout(ctx, 10*ms)
			defer cancel()
			var ev asyncio.Event
			err := ev.Wait(dctx)
			return fmt.Sprint(err, asyncio.Sleep(ctx, ms)), nil
		}, "context deadline exceeded <nil>"},
		{"AsCompletedTimeout yields what completed, then the timeout", func(ctx context.Context) (string, error) {
			aws := sleepers(ctx, 5*ms, time.Hour)
			var steps []string
			for aw, err := range asyncio.AsCompletedTimeout(ctx, 50*ms, aws...) {
				if err != nil {
					steps = append(steps, err.Error())
					continue
				}
				v, _ := aw.Result()
				steps = append(steps, v.String())
			}
			aws[1].(*asyncio.Task[time.Duration]).Cancel()
			asyncio.GatherReturnErrors(ctx, aws...)
			return strings.Join(steps, " "), nil
		}, "5ms asyncio: timeout"},
		{"ToThread runs on a worker and comes back", func(ctx context.Context) (string, error) {
			v, err := asyncio.ToThread(ctx, func() (string, error) {
				time.Sleep(2 * ms)
				return "from a worker", nil
			})
			return v, err
		}, "from a worker"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer noLeaks(t)()
			got, err := asyncio.Run(c.main, asyncio.WithExceptionHandler(func(e *asyncio.Exception) {
				t.Errorf("unexpected report: %v", e)
			}))
			if err != nil || got != c.want {
				t.Errorf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
}

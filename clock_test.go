package asyncio_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// forever is Go's usual "no limit" for a duration.
const forever = time.Duration(math.MaxInt64)

// TestForeverDoesNotWrap checks that a deadline of time.Duration(math.MaxInt64)
// from a clock past zero saturates instead of wrapping into the past: each
// wait below must still be pending an hour later, and then end for the
// reason it is given, not for its deadline.
func TestForeverDoesNotWrap(t *testing.T) {
	cases := []struct {
		name string
		// wait waits with a forever deadline until release is closed (a
		// future resolved an hour in) and reports how it ended.
		wait func(ctx context.Context, release *asyncio.Future[int]) error
	}{
		{"Sleep", func(ctx context.Context, release *asyncio.Future[int]) error {
			return asyncio.Sleep(ctx, forever) // ends only by cancellation
		}},
		{"CallLater", func(ctx context.Context, release *asyncio.Future[int]) error {
			l, _ := asyncio.GetRunningLoop(ctx)
			fired := asyncio.CreateFuture[int](ctx)
			h := l.CallLater(forever, func() { fired.SetResult(1) })
			defer h.Cancel()
			if h.When() != forever {
				return errors.New("When() = " + h.When().String() + ", want the end of the clock")
			}
			_, _, err := asyncio.Wait(ctx, []asyncio.Waiter{fired, release}, asyncio.FirstCompleted, 0)
			if fired.Done() {
				return errors.New("a callback scheduled forever from now ran")
			}
			return err
		}},
		{"WaitFor", func(ctx context.Context, release *asyncio.Future[int]) error {
			_, err := asyncio.WaitFor(ctx, release, forever)
			return err
		}},
		{"Wait", func(ctx context.Context, release *asyncio.Future[int]) error {
			done, _, err := asyncio.Wait(ctx, []asyncio.Waiter{release}, asyncio.AllCompleted, forever)
			if err == nil && len(done) != 1 {
				return errors.New("Wait returned before its waiter was done")
			}
			return err
		}},
		{"Timeout", func(ctx context.Context, release *asyncio.Future[int]) error {
			return asyncio.Timeout(ctx, forever, func(ctx context.Context) error {
				if s := asyncio.TimeoutOf(ctx); s.When() != forever {
					return errors.New("When() = " + s.When().String() + ", want the end of the clock")
				}
				_, err := asyncio.Await(ctx, release)
				return err
			})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				// Past zero, so that now + MaxInt64 would overflow.
				if err := asyncio.Sleep(ctx, time.Second); err != nil {
					return 0, err
				}
				l, _ := asyncio.GetRunningLoop(ctx)
				release := asyncio.CreateFuture[int](ctx)
				l.CallLater(time.Hour, func() { release.SetResult(1) })
				w := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
					return 0, tc.wait(ctx, release)
				})
				if err := asyncio.Sleep(ctx, time.Hour-time.Second); err != nil {
					return 0, err
				}
				if w.Done() {
					_, err := w.Result()
					t.Errorf("ended before the hour was over: %v", err)
					return 0, nil
				}
				if tc.name == "Sleep" {
					w.Cancel()
				}
				_, err := asyncio.Await(ctx, w)
				switch {
				case tc.name == "Sleep" && !errors.Is(err, asyncio.ErrCancelled):
					t.Errorf("cancelled Sleep returned %v", err)
				case tc.name != "Sleep" && err != nil:
					t.Errorf("returned %v, want nil", err)
				}
				return 0, nil
			})
		})
	}
}

// TestSleepForeverIsADeadlock checks that, on the virtual clock, a timer at
// the end of time does not make the clock jump there: nothing else can
// happen, so the loop reports a deadlock naming the sleeper.
func TestSleepForeverIsADeadlock(t *testing.T) {
	defer noLeaks(t)()
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		if err := asyncio.Sleep(ctx, time.Second); err != nil {
			return 0, err
		}
		return 0, asyncio.Sleep(ctx, forever)
	}, asyncio.WithVirtualClock())
	if !errors.Is(err, asyncio.ErrDeadlock) {
		t.Fatalf("Run = %v, want ErrDeadlock", err)
	}
	if !strings.Contains(err.Error(), "Task-1") || !strings.Contains(err.Error(), "awaiting sleep forever") {
		t.Errorf("the deadlock report does not name the task sleeping forever: %v", err)
	}
}

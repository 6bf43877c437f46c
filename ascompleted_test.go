package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// sleepers starts one task per duration, each returning its duration after
// sleeping it.
func sleepers(ctx context.Context, ds ...time.Duration) []asyncio.Awaitable[time.Duration] {
	var aws []asyncio.Awaitable[time.Duration]
	for _, d := range ds {
		aws = append(aws, asyncio.CreateTask(ctx, func(ctx context.Context) (time.Duration, error) {
			return d, asyncio.Sleep(ctx, d)
		}))
	}
	return aws
}

// trace iterates AsCompletedTimeout, noting each step as value@time or
// error@time; body runs after each awaitable is yielded.
func trace(ctx context.Context, d time.Duration, aws []asyncio.Awaitable[time.Duration], body func()) string {
	var steps []string
	for aw, err := range asyncio.AsCompletedTimeout(ctx, d, aws...) {
		if err != nil {
			steps = append(steps, fmt.Sprintf("%v@%s", err, now(ctx)))
			continue
		}
		v, _ := aw.Result()
		steps = append(steps, fmt.Sprintf("%v@%s", v, now(ctx)))
		body()
	}
	return strings.Join(steps, " ")
}

func TestAsCompletedTimeout(t *testing.T) {
	cases := []struct {
		name string
		d    time.Duration
		slow bool // the loop body sleeps 10s after the first awaitable
		want string
	}{
		{"no deadline", 0, false, "1s@1s 2s@2s 5s@5s"},
		{"deadline", 3 * time.Second, false, "1s@1s 2s@2s asyncio: timeout@3s"},
		// What completed before the deadline is yielded, nothing after.
		{"deadline passes in the body", 3 * time.Second, true, "1s@1s 2s@11s asyncio: timeout@11s"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				aws := sleepers(ctx, 5*time.Second, time.Second, 2*time.Second)
				first := true
				got := trace(ctx, c.d, aws, func() {
					if c.slow && first {
						asyncio.Sleep(ctx, 10*time.Second)
					}
					first = false
				})
				if got != c.want {
					t.Errorf("steps = %q, want %q", got, c.want)
				}
				// The awaitables left are not cancelled.
				_, err := asyncio.Gather(ctx, aws...)
				return 0, err
			})
		})
	}
}

// A ctx derived from the task's ends the iteration with its error; the task
// is not cancelled, and the awaitables go on.
func TestAsCompletedDerivedContext(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		aws := sleepers(ctx, time.Second, 5*time.Second)
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		n := 0
		for range asyncio.AsCompleted(dctx, aws...) {
			n++
		}
		if n != 1 || now(ctx) != "2s" {
			t.Errorf("AsCompleted yielded %d until %s, want 1 until 2s", n, now(ctx))
		}
		got := trace(dctx, 0, aws, func() {})
		if got != "1s@2s context deadline exceeded@2s" { // what was done comes first
			t.Errorf("AsCompletedTimeout with a done ctx: %q", got)
		}
		if err := asyncio.Sleep(ctx, 0); err != nil {
			t.Errorf("the task was cancelled: %v", err)
		}
		_, err := asyncio.Gather(ctx, aws...)
		return 0, err
	})
}

// An interruption is yielded as ErrCancelled, and a Timeout around the
// loop reports ErrTimeout.
func TestAsCompletedTimeoutInterrupted(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		aws := sleepers(ctx, time.Hour)
		var yielded error
		err := asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error {
			for _, err := range asyncio.AsCompletedTimeout(ctx, 0, aws...) {
				yielded = err
				return err
			}
			return nil
		})
		if !errors.Is(yielded, asyncio.ErrCancelled) || !errors.Is(err, asyncio.ErrTimeout) {
			t.Errorf("yielded %v, Timeout = %v; want ErrCancelled, ErrTimeout", yielded, err)
		}
		aws[0].(*asyncio.Task[time.Duration]).Cancel()
		asyncio.GatherReturnErrors(ctx, aws...)
		return 0, nil
	})
}

// Gather given a ctx derived from the task's returns its error when it is
// done, and leaves the awaitables running, as Await does.
func TestGatherDerivedContext(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		aws := sleepers(ctx, time.Second, 5*time.Second)
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if _, err := asyncio.Gather(dctx, aws...); err != context.DeadlineExceeded || now(ctx) != "2s" {
			t.Errorf("Gather = %v at %s; want DeadlineExceeded at 2s", err, now(ctx))
		}
		_, errs, err := asyncio.GatherReturnErrors(dctx, aws...)
		if err != context.DeadlineExceeded || errs[0] != nil || !errors.Is(errs[1], asyncio.ErrInvalidState) {
			t.Errorf("GatherReturnErrors = %v, %v", errs, err)
		}
		vs, err := asyncio.Gather(ctx, aws...)
		if err != nil || vs[1] != 5*time.Second || now(ctx) != "5s" {
			t.Errorf("the awaitables did not go on: %v, %v at %s", vs, err, now(ctx))
		}
		return 0, nil
	})
}

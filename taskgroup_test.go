package asyncio_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

func TestGroupWaitsForChildren(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		var typed *asyncio.Task[string]
		err := asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
			for i := 1; i <= 2; i++ {
				g.Go(func(ctx context.Context) error {
					err := asyncio.Sleep(ctx, time.Duration(i)*time.Second)
					r.add("child %d done at %s", i, now(ctx))
					return err
				})
			}
			typed = asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) { return "typed", nil }, asyncio.InGroup(g))
			return nil
		})
		r.add("Group returned %v at %s", err, now(ctx))
		if v, err := typed.Result(); v != "typed" || err != nil {
			t.Errorf("typed child = %q, %v", v, err)
		}
		return 0, err
	})
	r.check(t, "child 1 done at 1s", "child 2 done at 2s", "Group returned <nil> at 2s")
}

func TestGroupChildFailureAbortsTheRest(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		second := errors.New("second failure")
		err := asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
			g.Go(func(ctx context.Context) error {
				err := asyncio.Sleep(ctx, time.Hour)
				r.add("sibling stopped at %s: %v", now(ctx), err)
				return err
			})
			g.Go(func(ctx context.Context) error {
				asyncio.Sleep(ctx, time.Second)
				return errBoom
			})
			g.Go(func(ctx context.Context) error {
				// Fails while it handles its cancellation: also reported.
				asyncio.Sleep(ctx, time.Hour)
				return second
			})
			err := asyncio.Sleep(ctx, time.Hour) // interrupted by the failure
			r.add("body interrupted at %s: %v", now(ctx), err)
			if ctx.Err() == nil {
				t.Error("the group's ctx is not cancelled after the failure")
			}
			return err
		})
		r.add("Group returned at %s", now(ctx))
		if !errors.Is(err, errBoom) || !errors.Is(err, second) || errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("Group = %v; want both failures joined, and no cancellation", err)
		}
		if ctx.Err() != nil {
			t.Error("the group's failure cancelled the caller's own ctx")
		}
		return 0, nil
	})
	// As in asyncio, the children are cancelled first, then the body.
	r.check(t,
		"sibling stopped at 1s: asyncio: cancelled",
		"body interrupted at 1s: asyncio: cancelled",
		"Group returned at 1s")
}

func TestGroupBodyErrorAborts(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var child *asyncio.Task[struct{}]
		err := asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
			child = g.Go(func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Hour) })
			return errBoom
		})
		if err == nil || err.Error() != errBoom.Error() || !child.Cancelled() {
			t.Errorf("Group = %v, child cancelled = %v", err, child.Cancelled())
		}
		return 0, nil
	})
}

func TestGroupParentCancelled(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var child *asyncio.Task[struct{}]
		var groupErr error
		parent := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			groupErr = asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
				child = g.Go(func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Hour) })
				return nil // the group waits for the child
			})
			return 0, groupErr
		})
		asyncio.Sleep(ctx, time.Second)
		parent.Cancel()
		asyncio.Await(ctx, parent)
		if !errors.Is(groupErr, asyncio.ErrCancelled) || !child.Cancelled() || !parent.Cancelled() {
			t.Errorf("Group = %v, child cancelled %v, parent cancelled %v", groupErr, child.Cancelled(), parent.Cancelled())
		}
		return 0, nil
	})
}

func TestGroupChildStartedWhileAbortingNeverRuns(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		ran := false
		var late *asyncio.Task[struct{}]
		asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
			g.Go(func(ctx context.Context) error { return errBoom })
			asyncio.Sleep(ctx, time.Hour) // interrupted
			late = g.Go(func(ctx context.Context) error { ran = true; return nil })
			return nil
		})
		if ran || !late.Cancelled() {
			t.Errorf("a task started in an aborting group ran=%v cancelled=%v", ran, late.Cancelled())
		}
		return 0, nil
	})
}

func TestGroupUsedAfterReturnPanics(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var saved *asyncio.TaskGroup
		asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error { saved = g; return nil })
		p := mustPanic(t, func() { saved.Go(func(ctx context.Context) error { return nil }) })
		panicMatches(t, p, nil, "whose Group call has returned")
		return 0, nil
	})
}

func TestGroupBodyPanicStopsChildren(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var child *asyncio.Task[struct{}]
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return 0, asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
				child = g.Go(func(ctx context.Context) error { return asyncio.Sleep(ctx, time.Hour) })
				asyncio.Sleep(ctx, 0)
				panic("in the body")
			})
		})
		_, err := asyncio.Await(ctx, task)
		var pe *asyncio.PanicError
		if !errors.As(err, &pe) || !child.Cancelled() {
			t.Errorf("task = %v, child cancelled %v; a panic in the body stops the children", err, child.Cancelled())
		}
		if !strings.Contains(string(pe.Stack), "taskgroup_test.go") {
			t.Error("the panic's stack lost where it happened")
		}
		return 0, nil
	})
}

func TestGroupValuesReachChildren(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		ctx = context.WithValue(ctx, ctxKey("k"), "v")
		var got any
		err := asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
			g.Go(func(ctx context.Context) error { got = ctx.Value(ctxKey("k")); return nil })
			return nil
		})
		if got != "v" {
			t.Errorf("child saw %v", got)
		}
		return 0, err
	})
}

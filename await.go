package asyncio

import (
	"context"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio/internal/coro"
	"github.com/goasyncio/asyncio/internal/goid"
)

// Await suspends the task that owns ctx until aw is done, letting the loop
// run other tasks meanwhile, and returns aw's result: the Go form of
// `await aw`. With an error, the value is T's zero value. If aw is done already, Await returns at once without
// suspending. To await a plain function call, call it: fn(ctx) runs inline
// in the same task, as `await coro()` does.
//
// If the awaiting task is cancelled, Await returns an error matching
// ErrCancelled, and aw is cancelled too (use Shield to protect it). If aw is
// cancelled, its result error matches ErrCancelled.
//
// Await must be called from the code of the task that owns ctx. It panics
// with an error matching ErrNoRunningLoop if ctx does not belong to a task
// of a running loop, and panics if the task is not the one running (ctx was
// handed to a callback, another task or another goroutine).
func Await[T any](ctx context.Context, aw Awaitable[T]) (T, error) {
	t := runningTask(ctx, "Await")
	var fb *futureBase
	if aw != nil {
		fb = aw.futBase()
	}
	if fb == nil || fb.l != t.loop() {
		checkFuture(t, fb, "Await")
	}
	if fb.state != statePending {
		return aw.Result() // done: no suspension, nothing to watch
	}
	return awaitOn(t, ctx, aw, fb)
}

// awaitOn is Await once t, the task owning ctx, and fb, the base of aw,
// have been checked: the waits of the package that checked them already
// do not pay for it twice.
func awaitOn[T any](t *task, ctx context.Context, aw Awaitable[T], fb *futureBase) (T, error) {
	if fb.state == statePending {
		stop, err := t.watchCtx(ctx)
		if stop != nil {
			defer stop() // also when the task is unwound while it waits
		}
		if err == nil {
			err = t.await(aw, fb)
		}
		if err != nil {
			var zero T
			return zero, err
		}
	}
	return aw.Result()
}

// Sleep suspends the task that owns ctx for d on the loop's clock, and
// returns nil, or an error matching ErrCancelled if the task is cancelled
// meanwhile. Sleep(ctx, 0) (or a negative d) lets every other ready task and
// callback run once before the task goes on, and is the way to yield in a
// long computation. A d that reaches past the end of the loop's clock, such
// as time.Duration(math.MaxInt64), sleeps until the task is cancelled.
//
// Sleep panics as Await does when ctx does not belong to the running task.
func Sleep(ctx context.Context, d time.Duration) error {
	t := runningTask(ctx, "Sleep")
	stop, err := t.watchCtx(ctx)
	if err != nil {
		return err
	}
	if stop != nil {
		defer stop()
	}
	l := t.loop()
	if d <= 0 || t.mustCancel {
		l.ready.Push(t)
	} else {
		t.sleep.when = l.after(d)
		t.sleep.r = t
		l.addTimer(&t.sleep)
	}
	t.suspend()
	if err := t.takeCtxErr(); err != nil {
		return err
	}
	return t.takeCancel()
}

// runningTask returns the task that owns ctx after checking that it is the
// task running now; op names the caller in the panic.
func runningTask(ctx context.Context, op string) *task {
	t := taskOf(ctx)
	if t == nil || !t.loop().IsRunning() {
		if t != nil && t.loop().lifecycle() == loopClosing {
			panic(coro.Stopped) // Close is unwinding the task: keep unwinding
		}
		panic(noLoop(op))
	}
	if goid.Fast && t.g.Load() != goid.Current() {
		// Not the task's own goroutine: another task's, or one the loop
		// does not know, whose read of the loop's state would race.
		panic(fmt.Sprintf("asyncio: %s called with the ctx of task %s from another task or goroutine; a task may %s only with its own ctx, from its own code",
			op, t.Name(), op))
	}
	if c := t.loop().current; c != t {
		running := "a callback"
		if c != nil {
			running = "task " + c.Name()
		}
		panic(fmt.Sprintf("asyncio: %s called with the ctx of task %s while %s is running; a task may %s only with its own ctx, from its own code",
			op, t.Name(), running, op))
	}
	return t
}

func noLoop(op string) error {
	return fmt.Errorf("%w: %s needs the ctx of a task of a running loop; start the work with Run or RunUntilComplete and pass on the ctx the task function receives", ErrNoRunningLoop, op)
}

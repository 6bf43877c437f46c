package asyncio

import (
	"context"
	"fmt"

	"github.com/goasyncio/asyncio/internal/goid"
)

// Run makes a loop, runs main on it as the main task (Task-1) until main
// returns, and returns main's result: the Go form of asyncio.run. Then it
// cancels the tasks still pending and waits for them, waits for the work of
// the default executor, and closes the loop, so that no goroutine outlives
// it. Errors that no one retrieved, and tasks
// that could not be stopped, are reported to the exception handler.
//
// While main runs, the first SIGINT (os.Interrupt, Ctrl-C) cancels it, as
// asyncio.run does: the wait it is in returns an error matching both
// ErrCancelled and ErrInterrupted, and main decides how to end, so that the
// program can shut down gracefully. That SIGINT also resets SIGINT to its
// default action for the whole process, as signal.Reset does, so that a
// second one ends the program at once. Run does this only if the process
// does not ignore SIGINT (see signal.Ignored) and no WithContext option was
// given: a program that passes a ctx, from signal.NotifyContext say, stops
// main through it, and two handlers of one SIGINT would race. A handler
// that main installs with AddSignalHandler replaces Run's, which ends when
// main returns.
//
// Under WithVirtualClock, if main can never complete because every task is
// blocked, Run returns an error matching ErrDeadlock that names them.
//
// Run called from a task or a callback of a running loop does not run main:
// the loop running there would stand still until the new one ended. It
// returns an error matching ErrLoopRunning, as asyncio.run raises
// RuntimeError there; a task runs main by calling it, or with CreateTask.
func Run[T any](main func(ctx context.Context) (T, error), opts ...Option) (T, error) {
	l := NewLoop(opts...)
	l.runSIGINT = l.parent == nil // WithContext's ctx is how the caller stops main
	defer l.Close()               // also when main exits with runtime.Goexit, as t.FailNow does
	v, err := RunUntilComplete(l, main)
	if serr := l.shutdown(); serr != nil {
		l.report(&Exception{Message: "tasks still pending when Run returned", Err: serr})
	}
	l.ShutdownDefaultExecutor()
	return v, err
}

// RunUntilComplete runs main as a new task on l, and runs the loop until
// main returns; it returns main's result. Tasks that main started and did
// not wait for stay on the loop, and go on with the next run. main runs on
// the calling goroutine.
//
// It returns ErrLoopClosed or ErrLoopRunning if the loop cannot run, and
// an error matching ErrLoopRunning when called from a task or callback of
// any running loop (see Run). If the
// loop cannot go on before main returns, main is unwound (its deferred calls
// run) and RunUntilComplete returns why: an error matching ErrDeadlock under
// WithVirtualClock when no task can make progress, or an error saying that
// Stop was called.
func RunUntilComplete[T any](l *Loop, main func(ctx context.Context) (T, error)) (T, error) {
	var zero T
	if err := l.begin(); err != nil {
		return zero, err
	}
	defer l.end()
	tk := &Task[T]{fn: main}
	l.initTask(&tk.t, tk, l.parent, funcPC(main), nil)
	tk.t.inline = true
	if l.parent != nil && l.parent.Err() != nil {
		tk.t.cancel(causeOf(l.parent)) // main never starts
	} else if l.parent != nil && l.parent.Done() != nil {
		// Watched as a wait's ctx is (ctxwait.go), so that a task of the
		// loop that cancels it is seen at once, even under a virtual clock.
		fired := false
		stop := l.watch(l.parent, func(error) {
			if !fired { // the watch may report it twice
				fired = true
				tk.t.cancel(causeOf(l.parent))
			}
		})
		defer stop()
	}
	if l.runSIGINT {
		defer l.cancelOnInterrupt(&tk.t)()
	}
	l.ready.Push(&tk.t) // main starts in its turn, after what is already scheduled
	l.runMain(&tk.t)
	return tk.Result()
}

// runMain runs the inline main task t until it returns or is unwound.
func (l *Loop) runMain(t *task) {
	defer func() {
		if p := recover(); p != nil {
			u, ok := p.(unwind)
			if !ok {
				panic(p)
			}
			if t.fb.state == statePending {
				t.body.fail(u.err)
			}
		}
	}()
	t.g.Store(goid.Current())
	l.runInline(t)
	t.body.runBody()
	l.endMainStep(t)
	l.stepping(nil)
}

// shutdown cancels the live tasks and runs the loop until they are done.
func (l *Loop) shutdown() error {
	if l.live.n == 0 {
		return nil
	}
	for _, t := range l.live.all() {
		t.cancel(nil)
	}
	if err := l.begin(); err != nil {
		return err
	}
	defer l.end()
	for l.live.n > 0 {
		if err := l.iterate(); err != nil {
			return fmt.Errorf("cancelled tasks did not finish: %w", err)
		}
	}
	return nil
}

// causeOf returns the cause ctx was cancelled with, if it is more than its
// Err.
func causeOf(ctx context.Context) error {
	if c := context.Cause(ctx); c != ctx.Err() {
		return c
	}
	return nil
}

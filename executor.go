package asyncio

import (
	"context"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio/futures"
)

// The executor bridge: blocking work runs on a futures.Executor (goroutine
// or process pools) and comes back to the loop as a Future. The loop counts
// such work as in flight until its result is back, so that a virtual clock
// does not jump ahead of it and a deadlock is never reported while it may
// still complete.

// RunInExecutor calls fn on ex, or on the loop's default executor if ex is
// nil, and returns a Future for its result: the counterpart of
// loop.run_in_executor. Cancelling the Future (for example by cancelling
// the task that awaits it) cancels fn if it has not started yet; a running
// fn is not interrupted, but may watch a context it closes over, such as
// the task's ctx, which Cancel cancels. RunInExecutor panics as CreateFuture
// does when ctx does not belong to a task of a running loop.
//
// A task that must not go on before fn has returned, even when it is
// cancelled (to clean up what fn writes, say), awaits Shield(ctx, f) rather
// than f, and after an ErrCancelled awaits f itself: the cancellation has
// been delivered, and f completes when fn returns.
func RunInExecutor[T any](ctx context.Context, ex futures.Executor, fn func() (T, error)) *Future[T] {
	f := CreateFuture[T](ctx)
	if ex == nil {
		ex = f.fb.l.defaultExecutor()
	}
	chain(f, futures.Submit(ex, fn))
	return f
}

// ToThread calls fn on the loop's default executor and awaits its result:
// the counterpart of asyncio.to_thread, for blocking calls such as file or
// network I/O with libraries that do not know about the loop. If the task is
// cancelled, ToThread returns ErrCancelled at once; fn should watch ctx (an
// http.Request made with it stops) to end early too. A fn that does not
// goes on holding its worker after ToThread has returned, and the default
// executor has only min(32, runtime.NumCPU()+4) of them: when they are all held,
// new work queues and waits for one, so a program that blocks in many
// calls at once (one per connection, say) must use functions that watch
// ctx, or give such work an executor of its own size with RunInExecutor
// or SetDefaultExecutor. ToThread panics as Await does when ctx does not
// belong to the running task.
func ToThread[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	return Await(ctx, RunInExecutor(ctx, nil, fn))
}

// WrapFuture returns a Future of the loop of the task owning ctx that
// completes as cf does: the counterpart of asyncio.wrap_future, which lets a
// task await work that some other code submitted. Cancelling the returned
// Future cancels cf if it has not started running. WrapFuture panics as
// CreateFuture does when ctx does not belong to a task of a running loop.
func WrapFuture[T any](ctx context.Context, cf *futures.Future[T]) *Future[T] {
	f := CreateFuture[T](ctx)
	chain(f, cf)
	return f
}

// chain makes f follow cf, and cf follow f's cancellation.
func chain[T any](f *Future[T], cf *futures.Future[T]) {
	l := f.fb.l
	l.addExternal()
	f.fb.addWaker(&cancelSource[T]{cf: cf})
	var stopWatch func()
	if l.debug && !l.virtual {
		stopWatch = l.watchQueued(cf)
	}
	cf.AddDoneCallback(func(cf *futures.Future[T]) {
		if stopWatch != nil {
			stopWatch()
		}
		// On the goroutine that completed cf. If the loop is closed by
		// then, nobody can look at f any more.
		l.CallSoonThreadsafe(func() {
			l.doneExternal()
			copyOutcome(f, cf)
		})
	})
}

// queuedReport is how long executor work may wait for a worker before a
// debug loop on the real clock reports it; a variable for the tests.
var queuedReport = time.Second

// watchQueued makes a debug loop on the real clock report work that waits
// for a worker longer than queuedReport: its executor is full, which
// otherwise looks like a loop with nothing to do. It returns a function
// that stops the watch. Under a virtual clock nothing is watched, since a
// goroutine's timer would make runs differ.
func (l *Loop) watchQueued(w interface{ State() futures.State }) (stop func()) {
	tm := time.AfterFunc(queuedReport, func() {
		if w.State() == futures.Pending {
			l.CallSoonThreadsafe(l.reportQueued) // fails only once the loop is closed
		}
	})
	return func() { tm.Stop() }
}

// reportQueued reports the tasks that wait for queued executor work, at
// most once per queuedReport.
func (l *Loop) reportQueued() {
	n := l.queuedTasks()
	if n == 0 || time.Since(l.queuedReported) < queuedReport {
		return
	}
	l.queuedReported = time.Now()
	l.report(&Exception{Message: fmt.Sprintf("%s for executor work that has not started after %v: all workers of its executor are busy "+
		"(ToThread work that ignores ctx holds its worker; give such work an executor of its own size); tasks:%s", tasksWait(n), queuedReport, l.describeTasks())})
}

// copyOutcome completes f as cf completed, unless f was cancelled meanwhile.
func copyOutcome[T any](f *Future[T], cf *futures.Future[T]) {
	if f.Done() {
		return
	}
	v, err := cf.Result() // does not block: cf is done
	switch {
	case cf.Cancelled():
		f.Cancel()
	case err != nil:
		f.SetException(asPanicError(err))
	default:
		f.SetResult(v)
	}
}

// asPanicError turns a panic in executor work into the loop's *PanicError,
// which a task expects; errors.As still finds the *futures.PanicError in
// it.
func asPanicError(err error) error {
	if fp, ok := err.(*futures.PanicError); ok {
		return &PanicError{Value: fp.Value, Stack: fp.Stack}
	}
	return err
}

// A cancelSource cancels the executor's future when the loop's future is
// cancelled, so that queued work does not run for nobody.
type cancelSource[T any] struct {
	cf *futures.Future[T]
}

func (c *cancelSource[T]) wake(fb *futureBase) {
	if fb.state == stateCancelled {
		c.cf.Cancel()
	}
}

// queued reports whether the work waits for a worker, for task dumps.
func (c *cancelSource[T]) queued() bool { return c.cf.State() == futures.Pending }

// label says what the work is, if its executor says, for task dumps.
func (c *cancelSource[T]) label() string { return c.cf.Label() }

// SetDefaultExecutor makes ex the executor that RunInExecutor and ToThread
// use when given none. The loop does not shut ex down; a default executor
// the loop made itself is shut down by Run, or by ShutdownDefaultExecutor.
func (l *Loop) SetDefaultExecutor(ex futures.Executor) {
	l.executor = ex
	l.ownExecutor = false
}

// defaultExecutor returns the default executor, making a thread pool of
// min(32, NumCPU+4) workers on first use, as Python does.
func (l *Loop) defaultExecutor() futures.Executor {
	if l.executor == nil {
		l.executor = futures.NewThreadPool(0)
		l.ownExecutor = true
	}
	return l.executor
}

// ShutdownDefaultExecutor shuts down the default executor the loop made,
// waiting for the work it runs to finish. Run calls it when main returns.
// An executor given with SetDefaultExecutor is left alone.
func (l *Loop) ShutdownDefaultExecutor() {
	if l.ownExecutor {
		l.executor.Shutdown(true)
		l.executor, l.ownExecutor = nil, false
	}
}

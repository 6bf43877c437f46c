package asyncio

import (
	"context"

	"github.com/goasyncio/asyncio/futures"
)

// RunCoroutineThreadsafe starts fn as a task on l from any goroutine, and
// returns a future of package futures, which any goroutine may wait for,
// for the task's result: the counterpart of asyncio.run_coroutine_threadsafe,
// the way for code outside the loop to hand it work. The task is made by a
// callback scheduled with CallSoonThreadsafe, so it starts once the loop
// runs it; its ctx carries the values of the loop's WithContext ctx.
//
// The future stays pending while the task runs. Cancelling it cancels the
// task, soon after, from the loop; a task that ends cancelled cancels the
// future. If the loop is closed, or closes before the task started, the
// future fails with ErrLoopClosed. It must not be called from the loop's
// own goroutine to wait for the result there: Result would block the loop
// that is to produce it (a task uses CreateTask).
func RunCoroutineThreadsafe[T any](l *Loop, fn func(ctx context.Context) (T, error)) *futures.Future[T] {
	if fn == nil {
		panic("asyncio: RunCoroutineThreadsafe with a nil function")
	}
	f := new(futures.Future[T])
	var tk *Task[T] // set on the loop's goroutine, and read only there
	start := func() {
		if f.Cancelled() {
			return // before it started: it never runs
		}
		tk = &Task[T]{fn: fn}
		l.initTask(&tk.t, tk, l.parent, funcPC(fn), nil)
		l.ready.Push(&tk.t)
		tk.AddDoneCallback(func(tk *Task[T]) { settleThreadsafe(f, tk) })
	}
	f.AddDoneCallback(func(f *futures.Future[T]) {
		if f.Cancelled() {
			l.CallSoonThreadsafe(func() { // an error: closed, and the task with it
				if tk != nil {
					tk.Cancel()
				}
			})
		}
	})
	if err := l.callSoonThreadsafeOrDrop(start, func() { f.SetError(ErrLoopClosed) }); err != nil {
		f.SetError(err)
	}
	return f
}

// settleThreadsafe gives f the outcome of tk, unless f was cancelled.
func settleThreadsafe[T any](f *futures.Future[T], tk *Task[T]) {
	v, err := tk.Result()
	switch {
	case tk.Cancelled():
		f.Cancel()
	case !f.SetRunning():
		// Cancelled as the task finished: the cancellation stands.
	case err != nil:
		f.SetError(err)
	default:
		f.SetResult(v)
	}
}

// callSoonThreadsafeOrDrop is CallSoonThreadsafe for a callback that must
// not be lost silently: if Close drops it before it runs, onDrop is called
// instead, on the goroutine that closes the loop.
func (l *Loop) callSoonThreadsafeOrDrop(fn, onDrop func()) error {
	h := &Handle{loop: l}
	h.fn = func() {
		l.mu.Lock()
		delete(l.onDrop, h)
		l.mu.Unlock()
		fn()
	}
	return l.enqueue(h, onDrop)
}

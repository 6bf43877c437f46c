package asyncio

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/goasyncio/asyncio/internal/funcname"
)

// A Waiter is a future or a task as Wait sees it: something that completes
// once. *Future[T] and *Task[T] are Waiters whatever their T, so one slice
// can hold tasks with different result types. The interface is sealed: only
// this package's types implement it.
type Waiter interface {
	// Done reports whether the future or task has completed.
	Done() bool
	futBase() *futureBase
	// cancelWith cancels a future, or asks a task to stop, with a cause
	// (nil for none), as a task that awaits it and is interrupted does.
	cancelWith(cause error) bool
}

// An Awaitable is a future or task with results of type T, which Await,
// Gather and WaitFor accept. *Future[T] and *Task[T] implement it.
type Awaitable[T any] interface {
	Waiter
	// Result returns the value and error the awaitable completed with.
	Result() (T, error)
}

type futState uint8

const (
	statePending futState = iota
	stateCancelled
	stateFinished
)

var stateNames = [...]string{"pending", "cancelled", "finished"}

// A futureBase is the part of a Future or Task that does not depend on the
// result type: its state, its error, and who waits for it.
type futureBase struct {
	_     noCopy
	l     *Loop
	state futState
	err   error
	// waiter and more are notified when the future completes, in the order
	// they were added; a lone waiter (the common case) needs no slice, and
	// more is a pointer to keep futures small.
	waiter waker
	more   *[]waker
	fail   *failure // set once the future fails: whether its error was seen
}

// A waker is notified, on the loop's goroutine, when a future it waits for
// completes. Tasks reschedule themselves; Wait and Gather count.
type waker interface {
	wake(fb *futureBase)
}

func (fb *futureBase) addWaker(w waker) {
	switch {
	case fb.waiter == nil && (fb.more == nil || len(*fb.more) == 0):
		fb.waiter = w
	case fb.more == nil:
		fb.more = &[]waker{w}
	default:
		*fb.more = append(*fb.more, w)
	}
}

// removeWaker removes w, and reports whether it was there.
func (fb *futureBase) removeWaker(w waker) bool {
	if fb.waiter == w {
		fb.waiter = nil
		return true
	}
	if fb.more == nil {
		return false
	}
	for i, m := range *fb.more {
		if m == w {
			*fb.more = append((*fb.more)[:i], (*fb.more)[i+1:]...)
			return true
		}
	}
	return false
}

// complete moves the future to state and notifies its wakers.
func (fb *futureBase) complete(state futState) {
	fb.state = state
	if w := fb.waiter; w != nil {
		fb.waiter = nil
		w.wake(fb)
	}
	if more := fb.more; more != nil {
		fb.more = nil
		for _, w := range *more {
			w.wake(fb)
		}
	}
}

// cancel cancels a plain future; a non-nil cause becomes part of its error.
func (fb *futureBase) cancel(cause error) bool {
	if fb.state != statePending {
		return false
	}
	if cause != nil {
		fb.err = cancellation(cause)
	}
	fb.complete(stateCancelled)
	return true
}

// signal completes a future of the package's own whose only use is to wake
// the task that waits on it; no one looks at its outcome. It does nothing
// once the future is done.
func (fb *futureBase) signal() {
	if fb.state == statePending {
		fb.complete(stateFinished)
	}
}

// A futureBase of the package's own, with no result (the one a group,
// Gather or Wait wakes its task with), is a Waiter itself, so that a task
// can await it as it awaits a Future.
func (fb *futureBase) Done() bool                  { return fb.state != statePending }
func (fb *futureBase) futBase() *futureBase        { return fb }
func (fb *futureBase) cancelWith(cause error) bool { return fb.cancel(cause) }

// outcome is the error Result reports for a done future.
func (fb *futureBase) outcome() error {
	if fb.state == stateCancelled && fb.err == nil {
		return ErrCancelled
	}
	return fb.err
}

// failed reports whether the future finished with an error, not counting
// cancellation.
func (fb *futureBase) failed() bool {
	return fb.state == stateFinished && fb.err != nil
}

var errNotReady = fmt.Errorf("%w: Result called before the future is done; Await it first", ErrInvalidState)

// A Future is a result that will be set later, by SetResult or SetException,
// and that tasks can Await. It is the low-level building block of tasks.
//
// Futures belong to the loop they were made on and are not safe for use by
// several goroutines: call their methods on the loop's goroutine. To complete
// one from another goroutine, use the loop's CallSoonThreadsafe. Make a
// Future with CreateFuture; the zero Future is not usable. A Future must not
// be copied.
type Future[T any] struct {
	fb    futureBase
	value T
}

// CreateFuture returns a new pending future on the loop that runs the task
// owning ctx. It panics with an error matching ErrNoRunningLoop if ctx does
// not belong to a task of a running loop.
func CreateFuture[T any](ctx context.Context) *Future[T] {
	t := taskOf(ctx)
	if t == nil || !t.loop().IsRunning() {
		panic(noLoop("CreateFuture"))
	}
	return &Future[T]{fb: futureBase{l: t.loop()}}
}

// SetResult completes the future with v, and schedules the tasks that await
// it. It panics with an error matching ErrInvalidState if the future is
// already done (for example cancelled).
func (f *Future[T]) SetResult(v T) {
	f.mustBePending("SetResult")
	f.value = v
	f.fb.complete(stateFinished)
}

// SetException completes the future with err, and schedules the tasks that
// await it; Await and Result return err. An error that is never retrieved is
// reported to the exception handler when the loop closes. SetException
// panics with an error matching ErrInvalidState if the future is already
// done, and panics if err is nil.
func (f *Future[T]) SetException(err error) {
	if err == nil {
		panic("asyncio: SetException with a nil error; use SetResult")
	}
	f.mustBePending("SetException")
	f.fb.err = err
	f.fb.fail = &failure{l: f.fb.l} // before the waiters look at it
	f.fb.complete(stateFinished)
	trackFailure(f, f, &f.fb)
}

func (f *Future[T]) mustBePending(op string) {
	if f.fb.state != statePending {
		panic(fmt.Errorf("%w: %s on a future that is already done: %v", ErrInvalidState, op, f))
	}
}

// Result returns the future's value and error. For a cancelled future the
// error matches ErrCancelled; for a pending one it matches ErrInvalidState.
func (f *Future[T]) Result() (T, error) {
	if f.fb.state == statePending {
		var zero T
		return zero, errNotReady
	}
	f.fb.markRetrieved()
	return f.value, f.fb.outcome()
}

// Done reports whether the future has a result or error, or was cancelled.
func (f *Future[T]) Done() bool { return f.fb.state != statePending }

// Cancel cancels a pending future and schedules the tasks that await it;
// their Await returns ErrCancelled. It reports whether the future was
// pending; on a done future it does nothing.
func (f *Future[T]) Cancel() bool { return f.fb.cancel(nil) }

func (f *Future[T]) cancelWith(cause error) bool { return f.fb.cancel(cause) }

// CancelWithCause is Cancel with a reason, the counterpart of asyncio's
// Future.cancel(msg): the error that Result and Await then return matches
// ErrCancelled, context.Canceled and cause under errors.Is, and its text ends
// with cause's. A nil cause is the same as Cancel.
func (f *Future[T]) CancelWithCause(cause error) bool { return f.fb.cancel(cause) }

// Cancelled reports whether the future was cancelled.
func (f *Future[T]) Cancelled() bool { return f.fb.state == stateCancelled }

// AddDoneCallback schedules fn(f) with CallSoon once f is done: at once if
// it is done already. Callbacks are scheduled in the order they were added.
// The returned function removes the callback if it has not been scheduled
// yet, and reports whether it did.
func (f *Future[T]) AddDoneCallback(fn func(*Future[T])) (remove func() bool) {
	return addDoneCallback(&f.fb, func() { fn(f) })
}

// String describes the future, for example `<Future finished result="666">`.
func (f *Future[T]) String() string {
	state, outcome := describeOutcome(&f.fb, f.value)
	return "<Future " + state + outcome + ">"
}

func (f *Future[T]) futBase() *futureBase {
	if f == nil {
		return nil
	}
	return &f.fb
}

// A doneCallback is a waker that schedules a user callback.
type doneCallback struct {
	fn      func()
	removed bool
}

func (c *doneCallback) wake(fb *futureBase) {
	fb.l.CallSoon(c.fn)
}

func addDoneCallback(fb *futureBase, fn func()) (remove func() bool) {
	if fb.state != statePending {
		h := fb.l.CallSoon(fn)
		return func() bool {
			if h.cancelled {
				return false
			}
			h.Cancel()
			return true
		}
	}
	c := &doneCallback{fn: fn}
	fb.addWaker(c)
	return func() bool {
		if c.removed || fb.state != statePending {
			return false
		}
		c.removed = true
		fb.removeWaker(c)
		return true
	}
}

// describeOutcome returns the state word of a future's or task's String,
// and the result or error part, empty unless finished.
func describeOutcome[T any](fb *futureBase, v T) (state, outcome string) {
	switch {
	case fb.state == stateFinished && fb.err != nil:
		return "finished", " exception=" + strconv.Quote(fb.err.Error())
	case fb.state == stateFinished:
		return "finished", " result=" + repr(v)
	}
	return stateNames[fb.state], ""
}

// repr formats a result the way Python's repr would show it: strings
// quoted, long values cut short.
func repr(v any) string {
	var s string
	if str, ok := v.(string); ok {
		s = strconv.Quote(str)
	} else {
		s = fmt.Sprintf("%v", v)
	}
	const limit = 80
	if len(s) > limit {
		cut := limit - 3
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "..."
	}
	return s
}

// funcPC returns the entry address of a function value, or 0 for nil.
func funcPC(fn any) uintptr {
	v := reflect.ValueOf(fn)
	if !v.IsValid() || v.IsNil() {
		return 0
	}
	return v.Pointer()
}

// funcName names the function at pc without its package path, e.g.
// "main.download" or "fetch.(*Client).Get".
func funcName(pc uintptr) string { return funcname.Of(pc) }

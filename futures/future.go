package futures

// A Future moves through its states under its mutex, in one direction only:
//
//	Pending ──SetRunning, or a worker takes it──▶ Running ──▶ Finished
//	   │ └────────────── SetResult, SetError ──────────────▶ Finished
//	   └── Cancel, ShutdownNow ──▶ Cancelled
//
// Cancelled and Finished are final. The value and the error are written
// once, under the mutex, before the state becomes final and before the done
// channel is closed; afterwards they are only read, so readers that have
// seen the final state (under the mutex or through the channel) need no
// lock. Waiters and callbacks are taken out of the future under the mutex
// and notified after it is released, so that they may call back into it.

import (
	"context"
	"fmt"
	"log"
	"runtime/debug"
	"slices"
	"strconv"
	"sync"
	"time"
)

// A State is where a future is in its life.
type State uint8

const (
	// Pending: created or queued, not started.
	Pending State = iota
	// Running: its function runs; it can no longer be cancelled.
	Running
	// Cancelled: cancelled before it ran. Final.
	Cancelled
	// Finished: completed with a value or an error. Final.
	Finished
)

var stateNames = [...]string{"pending", "running", "cancelled", "finished"}

// String returns the state's name as Python prints it: "pending",
// "running", "cancelled" or "finished".
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

func (s State) done() bool { return s == Cancelled || s == Finished }

// A Future is the result of work that runs on other goroutines or in other
// processes: Submit and Call return one. Unlike the futures of package
// asyncio it is safe for use by any number of goroutines at once, and its
// Result blocks.
//
// The zero Future is a pending future that no executor knows about, ready
// for code that produces a result itself, such as a bridge from another kind
// of future: the producer calls SetRunning, then SetResult or SetError,
// while consumers wait with Result or AddDoneCallback. Futures made by
// Submit and Call belong to their executor and refuse those three methods.
// A Future must not be copied after first use.
type Future[T any] struct {
	c         core
	val       T
	callbacks []func(*Future[T]) // in the order added; nil once done
}

// A core is the part of a future that does not depend on its result type:
// what Wait and AsCompleted work with.
type core struct {
	_       noCopy
	mu      sync.Mutex
	state   State
	owned   bool // made by an executor, which alone may set its state
	err     error
	label   string         // what the work is, from Promise.SetLabel
	done    chan struct{}  // made on demand; closed once done
	waiters []chan<- *core // Wait and AsCompleted; each is sent c once
}

// closedChan is the done channel of futures that completed before anyone
// asked for a channel.
var closedChan = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// State returns the future's state at the moment of the call.
func (f *Future[T]) State() State {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return f.c.state
}

// Done reports whether the future is finished or cancelled. Once true, it
// stays true.
func (f *Future[T]) Done() bool { return f.State().done() }

// Running reports whether the future's function is running now.
func (f *Future[T]) Running() bool { return f.State() == Running }

// Cancelled reports whether the future was cancelled. Once true, it stays
// true.
func (f *Future[T]) Cancelled() bool { return f.State() == Cancelled }

// DoneChan returns a channel that is closed when the future is done, for use
// in a select statement. Every call returns a channel closed at the same
// moment; it is never sent on.
func (f *Future[T]) DoneChan() <-chan struct{} {
	if ch := f.waitChan(); ch != nil {
		return ch
	}
	return closedChan
}

// waitChan returns the done channel if the future is not done yet, and nil
// if it is.
func (f *Future[T]) waitChan() chan struct{} {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.c.state.done() {
		return nil
	}
	if f.c.done == nil {
		f.c.done = make(chan struct{})
	}
	return f.c.done
}

// Result waits until the future is done and returns its value and error:
// the function's results for a finished future, or the zero value and
// ErrCancelled for a cancelled one. A panic in the function is returned as a
// *PanicError. Any goroutine may call Result, any number of times; each call
// returns the same.
func (f *Future[T]) Result() (T, error) {
	if ch := f.waitChan(); ch != nil {
		<-ch
	}
	return f.val, f.c.err
}

// ResultContext is like Result, but if ctx is done before the future is, it
// returns the zero value and ctx.Err(), and leaves the future as it is. A
// cancelled future's error matches ErrCancelled, ctx's does not, so the two
// can be told apart.
func (f *Future[T]) ResultContext(ctx context.Context) (T, error) {
	ch := f.waitChan()
	if ch == nil {
		return f.val, f.c.err
	}
	select {
	case <-ch:
		return f.val, f.c.err
	case <-ctx.Done():
	}
	select {
	case <-ch: // done as well: the result is worth more than the ctx error
		return f.val, f.c.err
	default:
		var zero T
		return zero, ctx.Err()
	}
}

// ResultTimeout is like Result, but waits at most d: if the future is not
// done by then, it returns the zero value and ErrTimeout and leaves the
// future as it is. As everywhere in this package, d <= 0 means no time
// limit. It is Python's result(timeout).
func (f *Future[T]) ResultTimeout(d time.Duration) (T, error) {
	ch := f.waitChan()
	if ch == nil || d <= 0 {
		return f.Result()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return f.val, f.c.err
	case <-t.C:
	}
	select {
	case <-ch:
		return f.val, f.c.err
	default:
		var zero T
		return zero, ErrTimeout
	}
}

// Cancel cancels the future if it is pending, and reports whether the
// future is now cancelled: true if it was pending or already cancelled,
// false if its function is running or done, since running work cannot be
// stopped. A cancelled future that sits in an executor's queue is dropped
// when a worker reaches it. Cancel runs the done callbacks on the calling
// goroutine. Any goroutine may call it; repeating it is harmless.
func (f *Future[T]) Cancel() bool {
	f.c.mu.Lock()
	switch f.c.state {
	case Cancelled:
		f.c.mu.Unlock()
		return true
	case Running, Finished:
		f.c.mu.Unlock()
		return false
	}
	f.c.state, f.c.err = Cancelled, ErrCancelled
	f.settle()
	return true
}

// SetRunning marks a pending future running and returns true, or returns
// false if the future was cancelled, in which case the work must not be
// done. It is Python's set_running_or_notify_cancel, for code that produces
// a zero Future's result itself: after SetRunning returned true, Cancel
// fails, so SetResult cannot race with it. SetRunning panics if the future
// is running or finished already.
func (f *Future[T]) SetRunning() bool {
	f.c.checkUnowned("SetRunning")
	return f.c.start("SetRunning")
}

// SetResult finishes a pending or running future with the value v and no
// error, and runs its done callbacks on the calling goroutine. It panics if
// the future is done already, cancelled included (call SetRunning first to
// rule out a racing Cancel), and if an executor made the future: SetRunning,
// SetResult and SetError are for zero Futures only.
func (f *Future[T]) SetResult(v T) {
	f.c.checkUnowned("SetResult")
	f.finish(v, nil, "SetResult")
}

// SetError finishes a pending or running future with the error err, which
// must not be nil, and runs its done callbacks on the calling goroutine. It
// panics if err is nil, and where SetResult does.
func (f *Future[T]) SetError(err error) {
	if err == nil {
		panic("futures: SetError with a nil error")
	}
	f.c.checkUnowned("SetError")
	f.fail(err)
}

// fail finishes the future with err; for executors.
func (f *Future[T]) fail(err error) {
	var zero T
	f.finish(zero, err, "SetError")
}

func (f *Future[T]) finish(v T, err error, op string) {
	f.c.mu.Lock()
	if s := f.c.state; s.done() {
		f.c.mu.Unlock()
		panic("futures: " + op + " on a " + s.String() + " Future")
	}
	f.val, f.c.err, f.c.state = v, err, Finished
	f.settle()
}

// settle wakes everyone who waits for the future, which has just become
// done. It is called with the mutex held and releases it.
func (f *Future[T]) settle() {
	c := &f.c
	if c.done != nil {
		close(c.done)
	} else {
		c.done = closedChan
	}
	waiters, callbacks := c.waiters, f.callbacks
	c.waiters, f.callbacks = nil, nil
	c.mu.Unlock()
	for _, w := range waiters {
		w <- c // never blocks: see addWaiter
	}
	for _, fn := range callbacks {
		f.call(fn)
	}
}

// AddDoneCallback arranges for fn to be called with f once f is done:
// on the goroutine that completes f (the pool worker that ran the function,
// or the caller of Cancel, SetResult, SetError or ShutdownNow), or at once on
// the calling goroutine if f is done already. Callbacks run in the order
// they were added, each exactly once; they should be quick, since they hold
// up that goroutine. A panic in fn is recovered and logged with its stack,
// and the remaining callbacks still run. Any goroutine may call
// AddDoneCallback. It panics if fn is nil.
func (f *Future[T]) AddDoneCallback(fn func(*Future[T])) {
	if fn == nil {
		panic("futures: AddDoneCallback with a nil function")
	}
	f.c.mu.Lock()
	if !f.c.state.done() {
		f.callbacks = append(f.callbacks, fn)
		f.c.mu.Unlock()
		return
	}
	f.c.mu.Unlock()
	f.call(fn)
}

// call runs one done callback. A panic is logged rather than propagated, as
// Python does: the goroutine running callbacks is often a pool worker, and
// one faulty callback must neither kill the program from there nor keep the
// later callbacks from running.
func (f *Future[T]) call(fn func(*Future[T])) {
	defer func() {
		if p := recover(); p != nil {
			log.Printf("futures: panic in a done callback of %v: %v\n\n%s", f, p, debug.Stack())
		}
	}()
	fn(f)
}

// String describes the future as Python does, for example
// "<Future at 0xc000120000 state=running>", adding for a finished future the
// type of what it returned or of its error:
// "<Future at 0xc000120000 state=finished returned int>", and at the end
// its Label, if it has one.
func (f *Future[T]) String() string {
	f.c.mu.Lock()
	s, v, err, label := f.c.state, f.val, f.c.err, f.c.label
	f.c.mu.Unlock()
	if label != "" {
		label = " " + label
	}
	switch {
	case s == Finished && err != nil:
		return fmt.Sprintf("<Future at %p state=finished raised %T%s>", f, err, label)
	case s == Finished:
		return fmt.Sprintf("<Future at %p state=finished returned %T%s>", f, v, label)
	}
	return fmt.Sprintf("<Future at %p state=%v%s>", f, s, label)
}

// Label returns what the future's executor says the work is, such as
// `cluster call "square"`, or "" if it says nothing. String ends with it,
// and task dumps of package asyncio show it.
func (f *Future[T]) Label() string {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return f.c.label
}

// futureCore implements Waitable.
func (f *Future[T]) futureCore() *core {
	if f == nil {
		panic("futures: nil *Future")
	}
	return &f.c
}

// checkUnowned panics if an executor made the future; op is the method
// called. owned is set before the future is published and never changes.
func (c *core) checkUnowned(op string) {
	if c.owned {
		panic("futures: " + op + " on a Future made by an executor")
	}
}

// start moves a pending future to Running and reports true, or reports
// false for a cancelled one. Other states are misuse by op.
func (c *core) start(op string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case Pending:
		c.state = Running
		return true
	case Cancelled:
		return false
	}
	panic("futures: " + op + " on a " + c.state.String() + " Future")
}

// startIf calls try if c is pending, and moves c to Running if try reports
// true; it returns c's state afterwards, Cancelled if c was cancelled, in
// which case try is not called. try runs with c's mutex held, so that no
// Cancel comes between what it does and the change of state; it must be
// quick and must not block, since every method of the future waits for it.
func (c *core) startIf(try func() bool) State {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == Pending && try() {
		c.state = Running
	}
	return c.state
}

// addWaiter arranges for c to be sent on ch once c is done, at once if it is
// done already. The sender never blocks: whoever registers ch gives it room
// for one value from each future it is registered with.
func (c *core) addWaiter(ch chan<- *core) {
	c.mu.Lock()
	if !c.state.done() {
		c.waiters = append(c.waiters, ch)
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	ch <- c
}

// removeWaiter undoes addWaiter, if c has not been sent on ch yet.
func (c *core) removeWaiter(ch chan<- *core) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i := slices.Index(c.waiters, ch); i >= 0 {
		c.waiters = slices.Delete(c.waiters, i, i+1)
	}
}

// failed reports whether c finished with an error; cancellation does not
// count, as in Python's FIRST_EXCEPTION.
func (c *core) failed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == Finished && c.err != nil
}

func (c *core) isDone() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state.done()
}

// noCopy lets go vet's copylocks check flag copies of the types that hold
// it.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

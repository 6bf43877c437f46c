package asyncio

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/goasyncio/asyncio/internal/coro"
	"github.com/goasyncio/asyncio/internal/goid"
)

// The life of a task:
//
//	created ──first step──▶ running ◀──resumed── suspended (in Await or Sleep)
//	   │                       │  └──awaits──────────▲
//	   │ cancelled first       │ function returns or panics
//	   ▼                       ▼
//	cancelled              finished (result, error) or cancelled
//
// A new task is queued at once and starts in a later iteration. While it
// runs it is the loop's current task; when it awaits a pending future it
// registers itself as the future's waker and suspends, and the future's
// completion puts it back in the ready queue. Everything here is confined to
// the loop's goroutine except the context part (context.go), which other
// goroutines may use.
//
// Cancel asks a task to stop: a task suspended on a future cancels that
// future, which wakes it with ErrCancelled; a sleeping task is woken at
// once; a task already scheduled (or not started) gets ErrCancelled when it
// next resumes (or never starts). The task ends cancelled if its function
// returns an error matching context.Canceled; it may instead recover and
// return normally, as an asyncio coroutine may catch CancelledError.

// A task is the part of a Task that does not depend on the result type. A
// *task is also the context.Context that the task's function receives.
type task struct {
	fb         futureBase
	body       taskBody   // the *Task[T] that owns this task
	coro       *coro.Coro // nil before the first step and for the inline task
	inline     bool       // the main task of RunUntilComplete: runs on the loop's goroutine
	mustCancel bool       // deliver ErrCancelled when the task next resumes
	cancelling bool       // interrupt is cancelling what the task awaits
	waitKind   awaitKind  // what waitingOn stands for, if the waiter said (debug.go)
	ctxFlags   atomic.Uint32
	interrupts uint64 // interruptions so far; see wait
	requests   int    // interruptions not taken back: Cancelling
	id         uint64
	creator    uint64        // id of the task that created it; 0 for a main task
	born       time.Duration // loop time when it was created
	name       string
	pc         uintptr         // entry of the task's function, for String
	parent     context.Context // where Value looks for keys other than the task's
	waitingOn  Waiter          // what the suspended task awaits
	sleep      timer           // armed while the task sleeps
	prev, next *task           // the loop's list of live tasks
	extra      atomic.Pointer[taskExtra]
	g          atomic.Uintptr // the goroutine the task's code runs on (goid.Current)
}

// taskBody is implemented by *Task[T]: it runs the function and records the
// result, which needs the result type.
type taskBody interface {
	TaskHandle
	runBody()
	fail(err error)
	describe() string
}

// A TaskHandle is a task seen without the type of its result: what
// CurrentTask and AllTasks return. Every *Task[T] is one; its methods must
// be called on the loop's goroutine.
type TaskHandle interface {
	Waiter
	Name() string
	Cancel() bool
	Cancelled() bool
	Cancelling() int
	Uncancel() int
	String() string
}

// CurrentTask returns the task that owns ctx: asyncio.current_task. It
// panics as Await does when ctx does not belong to the running task.
func CurrentTask(ctx context.Context) TaskHandle {
	return runningTask(ctx, "CurrentTask").body
}

// AllTasks returns the tasks of the loop of the task owning ctx that are
// not done, in the order they were created: asyncio.all_tasks. It panics
// as Await does when ctx does not belong to the running task.
func AllTasks(ctx context.Context) []TaskHandle {
	t := runningTask(ctx, "AllTasks")
	var hs []TaskHandle
	for _, x := range t.loop().live.all() {
		hs = append(hs, x.body)
	}
	return hs
}

func (t *task) loop() *Loop { return t.fb.l }

// A Task runs a function as a coroutine on a loop: it is the Go form of an
// asyncio Task wrapping a coroutine. Make one with CreateTask; Run and
// RunUntilComplete make the main task. Its result becomes available when the
// function returns, to Await, Result, Gather and Wait.
//
// A Task has the methods of a Future except SetResult and SetException, and
// like a Future its methods must be called on the loop's goroutine. A Task
// must not be copied.
type Task[T any] struct {
	t     task
	fn    func(context.Context) (T, error)
	value T
}

// A TaskOption configures a task made by CreateTask.
type TaskOption interface{ apply(*task) }

type taskOptionFunc func(*task)

func (f taskOptionFunc) apply(t *task) { f(t) }

// WithName names the task; the default name is "Task-N", where N counts the
// tasks made on the loop, starting with the main task as Task-1.
func WithName(name string) TaskOption {
	return taskOptionFunc(func(t *task) { t.name = name })
}

// CreateTask schedules fn to run as a new task on the loop of the task that
// owns ctx, and returns the task. fn starts in a later iteration, after the
// callbacks and tasks scheduled before it; tasks start in the order they
// were created. fn receives a context that is the new task's own: it carries
// the values of ctx, but not its cancellation, and it is cancelled when the
// task is cancelled or finishes.
//
// CreateTask panics with an error matching ErrNoRunningLoop if ctx does not
// belong to a task of a running loop.
func CreateTask[T any](ctx context.Context, fn func(ctx context.Context) (T, error), opts ...TaskOption) *Task[T] {
	creator := taskOf(ctx)
	if creator == nil || !creator.loop().IsRunning() {
		panic(noLoop("CreateTask"))
	}
	if fn == nil {
		panic("asyncio: CreateTask with a nil function")
	}
	parent := ctx
	if ctx == context.Context(creator) {
		parent = creator.parent // skip a level: keeps chains of tasks collectable
	}
	tk := &Task[T]{fn: fn}
	tk.t.creator = creator.id
	creator.loop().initTask(&tk.t, tk, parent, funcPC(fn), opts)
	creator.loop().ready.Push(&tk.t)
	return tk
}

// initTask sets up a new task and adds it to the loop's live tasks.
func (l *Loop) initTask(t *task, body taskBody, parent context.Context, pc uintptr, opts []TaskOption) {
	l.taskSeq++
	t.fb.l = l
	t.body = body
	t.id = l.taskSeq
	t.born = l.Time()
	t.parent = parent
	t.pc = pc
	t.sleep.index = -1
	for _, o := range opts {
		o.apply(t)
	}
	if l.debug {
		t.ctxExtra().created = callerOutside()
	}
	l.live.add(t)
}

// Result returns the value and error of the task's function. For a
// cancelled task the error matches ErrCancelled; for a task that panicked it
// is a *PanicError; for a task not done yet it matches ErrInvalidState.
func (tk *Task[T]) Result() (T, error) {
	if tk.t.fb.state == statePending {
		var zero T
		return zero, errNotReady
	}
	tk.t.fb.markRetrieved()
	return tk.value, tk.t.fb.outcome()
}

// Done reports whether the task has finished or was cancelled.
func (tk *Task[T]) Done() bool { return tk.t.fb.state != statePending }

// Cancel asks the task to stop, and reports whether it was still pending;
// on a done task it does nothing. The task's context is cancelled at once.
// If the task is suspended, its Await or Sleep returns an error matching
// ErrCancelled; when it awaits another task or future, that is cancelled
// too, as in asyncio (Shield prevents it). A task that has not started never
// runs. The task decides how to end: returning the error makes it cancelled.
func (tk *Task[T]) Cancel() bool { return tk.t.cancel(nil) }

func (tk *Task[T]) cancelWith(cause error) bool { return tk.t.cancel(cause) }

func (tk *Task[T]) task() *task { return &tk.t }

// CancelWithCause is Cancel with a reason, the counterpart of asyncio's
// Task.cancel(msg): the error that the task's interrupted wait returns
// matches ErrCancelled, context.Canceled and cause under errors.Is, and its
// text ends with cause's, so a task that returns it ends cancelled with the
// reason for all who await it. What the task awaits is cancelled with the
// same cause. A later Cancel, CancelWithCause or expired Timeout replaces
// the cause; a nil cause is the same as Cancel. The task's ctx reports
// context.Canceled, as a Go context does.
func (tk *Task[T]) CancelWithCause(cause error) bool { return tk.t.cancel(cause) }

// Context returns the task's ctx, the one its function was given: the
// counterpart of Task.get_context. Its values are those of the ctx the task
// was created with; it is done once the task is cancelled or done.
func (tk *Task[T]) Context() context.Context { return &tk.t }

// Cancelled reports whether the task ended cancelled.
func (tk *Task[T]) Cancelled() bool { return tk.t.fb.state == stateCancelled }

// Cancelling returns how many requests to stop the task are pending:
// asyncio's Task.cancelling. Cancel adds one, and so do a Timeout that
// expires and a TaskGroup that aborts inside the task; each scope takes its
// own back when it ends, and Uncancel takes one back.
func (tk *Task[T]) Cancelling() int { return tk.t.requests }

// Uncancel takes back one request to stop the task and returns how many
// are left: asyncio's Task.uncancel, for code that catches a cancellation
// and means to go on, so that enclosing Timeouts and TaskGroups do not take
// that cancellation for theirs. When none is left, a request not delivered
// yet is dropped. The task's ctx, once cancelled, stays cancelled.
func (tk *Task[T]) Uncancel() int { return tk.t.uncancel() }

// Name returns the task's name.
func (tk *Task[T]) Name() string { return tk.t.Name() }

// AddDoneCallback schedules fn(tk) with CallSoon once the task is done: at
// once if it is done already. Callbacks are scheduled in the order they were
// added. The returned function removes the callback if it has not been
// scheduled yet, and reports whether it did.
func (tk *Task[T]) AddDoneCallback(fn func(*Task[T])) (remove func() bool) {
	return addDoneCallback(&tk.t.fb, func() { fn(tk) })
}

// String describes the task, for example
// `<Task finished name='n1' coro=<main.func1> result="返回值">`.
func (tk *Task[T]) String() string { return tk.describe() }

func (tk *Task[T]) futBase() *futureBase {
	if tk == nil {
		return nil
	}
	return &tk.t.fb
}

func (tk *Task[T]) describe() string {
	t := &tk.t
	state, outcome := describeOutcome(&t.fb, tk.value)
	s := "<Task " + state + " name=" + quoteName(t.Name()) + " coro=<" + funcName(t.pc) + ">" + outcome
	if t.fb.state == statePending {
		if w := t.awaiting(); w != "" {
			s += " wait_for=<" + w + ">"
		}
	}
	if x := t.extra.Load(); x != nil && x.created != "" {
		s += " created at " + x.created
	}
	return s + ">"
}

func quoteName(name string) string { return "'" + name + "'" }

// Name returns the task's name: the one given with WithName, else "Task-N".
func (t *task) Name() string {
	if t.name != "" {
		return t.name
	}
	return "Task-" + strconv.FormatUint(t.id, 10)
}

// run steps the task: it starts or resumes the task's function until the
// function next suspends or returns.
func (t *task) run() {
	if t.fb.state != statePending {
		return // a stale entry: the task was unwound while it was queued
	}
	l := t.loop()
	l.stepping(t)
	var finished bool
	switch {
	case t.coro != nil:
		finished = t.coro.Resume()
	case t.mustCancel:
		t.body.runBody() // cancelled before it started: finishes at once
		finished = true
	default:
		t.coro = l.getCoro()
		finished = t.coro.Start(runTask, t)
	}
	l.stepping(nil)
	if finished && t.coro != nil {
		l.putCoro(t.coro)
		t.coro = nil
	}
}

func runTask(arg any) {
	t := arg.(*task)
	t.g.Store(goid.Current())
	t.body.runBody()
}

// wake makes a task that awaits a future runnable again.
func (t *task) wake(*futureBase) { t.loop().ready.Push(t) }

// suspend gives the loop back until the task is woken.
func (t *task) suspend() {
	if t.loop().debug {
		t.ctxExtra().suspendedAt = callerOutside()
	}
	if t.inline {
		t.loop().endMainStep(t)
		t.loop().runInline(t)
		return
	}
	t.coro.Suspend()
}

// await suspends the task until w, whose base fb must be pending,
// completes. It returns ErrCancelled if the task was cancelled after w
// completed but before the task resumed; otherwise w is done when it
// returns.
func (t *task) await(w Waiter, fb *futureBase) error {
	if fb == &t.fb {
		panic(fmt.Sprintf("asyncio: task %s awaits itself, which would never end", t.Name()))
	}
	fb.addWaker(t)
	t.waitingOn = w
	// A task that cancelled itself cancels what it goes on to await, as
	// asyncio does; the cancellation then wakes it.
	if t.mustCancel && w.cancelWith(t.cause()) {
		t.mustCancel = false
	}
	t.suspend()
	t.waitingOn, t.waitKind = nil, awaitFuture
	if err := t.takeCtxErr(); err != nil {
		return err
	}
	return t.takeCancel()
}

// takeCancel consumes a pending cancellation request.
func (t *task) takeCancel() error {
	if t.mustCancel {
		t.mustCancel = false
		return t.cancelErr()
	}
	return nil
}

// cancel implements Task.Cancel and Task.CancelWithCause.
func (t *task) cancel(cause error) bool {
	if t.fb.state != statePending {
		return false
	}
	t.cancelContext()
	t.interrupt(cause)
	return true
}

// setCause records why the task is interrupted, for the error its wait
// returns; nil for a plain Cancel, a Timeout or a TaskGroup.
func (t *task) setCause(cause error) {
	if cause != nil {
		t.ctxExtra().cause = cause
	} else if x := t.extra.Load(); x != nil {
		x.cause = nil
	}
}

// cause returns the cause of the task's latest interruption, or nil.
func (t *task) cause() error {
	if x := t.extra.Load(); x != nil {
		return x.cause
	}
	return nil
}

// cancelErr is the error an interrupted wait of the task returns.
func (t *task) cancelErr() error { return cancellation(t.cause()) }

// Every interruption of a task — Cancel, a Timeout that expires, a
// TaskGroup that aborts — goes through interrupt, which counts it twice:
// interrupts only grows, so that a wait can tell whether the task was
// interrupted while it waited, whatever woke it; requests goes down again
// when the scope that interrupted the task takes its interruption back
// (uncancel), as asyncio's Task.cancelling and Task.uncancel count, so
// that a scope can tell its own interruption from one that must go on
// outwards.

// wait suspends the task until fb completes, as await does, and returns
// ErrCancelled if the task was interrupted meanwhile, also when the
// interruption is what completed fb. Every wait for a future of the
// package's own (a group's, Gather's, Wait's) goes through it, so that no
// kind of interruption is lost there.
func (t *task) wait(fb *futureBase, kind awaitKind) error {
	before := t.interrupts
	t.waitKind = kind
	if err := t.await(fb, fb); err != nil {
		return err // ErrCancelled, or the error of a ctx that ended the wait
	}
	if t.interrupts != before {
		return t.cancelErr()
	}
	return nil
}

// uncancel takes back one interruption request and returns how many are
// left; when none is, an interruption not delivered yet is dropped.
func (t *task) uncancel() int {
	if t.requests > 0 {
		t.requests--
		if t.requests == 0 {
			t.mustCancel = false
		}
	}
	return t.requests
}

// interrupt makes the task's current suspension, or its next resumption,
// end with ErrCancelled (with cause, if not nil), without cancelling its
// context: it is Cancel's way to stop the task, and also how a Timeout or a
// TaskGroup stops the code running inside it.
func (t *task) interrupt(cause error) {
	if t.fb.state != statePending {
		return
	}
	t.setCause(cause)
	t.interrupts++
	t.requests++
	l := t.loop()
	switch {
	case t.waitingOn != nil && t.cancelling:
		// Tasks that await each other in a cycle: cancelling what this one
		// awaits came back to it. Asking again would never end (asyncio
		// recurses until its stack overflows), so detach the task from what
		// it awaits and wake it; the cycle then unwinds from here.
		t.waitingOn.futBase().removeWaker(t)
		l.ready.Push(t)
		t.mustCancel = true
	case t.waitingOn != nil && t.cancelAwaitedOnce():
		// The awaited future is cancelled, or the awaited task is asked to
		// stop; either way the task wakes when it completes.
	case t.sleep.index >= 0:
		l.timers.remove(t.sleep.index)
		l.ready.Push(t)
		t.mustCancel = true
	default:
		// Running, scheduled, or woken but not resumed yet: the request is
		// delivered when the task next resumes.
		t.mustCancel = true
	}
}

// cancelAwaitedOnce cancels what the task awaits, noting that it does so.
func (t *task) cancelAwaitedOnce() bool {
	t.cancelling = true
	defer func() { t.cancelling = false }()
	return t.waitingOn.cancelWith(t.cause())
}

// runBody runs the task's function and records how it ended.
func (tk *Task[T]) runBody() {
	t := &tk.t
	var zero T
	fn := tk.fn
	tk.fn = nil
	if err := t.takeCancel(); err != nil {
		tk.finish(zero, err)
		return
	}
	defer func() {
		if p := recover(); p != nil {
			if p == coro.Stopped {
				panic(p) // the loop is closing and unwinds the task
			}
			if u, ok := p.(unwind); ok {
				tk.finish(zero, u.err)
				panic(p)
			}
			tk.finish(zero, &PanicError{Value: p, Stack: debug.Stack()})
		}
	}()
	v, err := fn(t)
	tk.finish(v, err)
}

// fail ends a task that cannot run any more with err.
func (tk *Task[T]) fail(err error) {
	var zero T
	tk.fn = nil
	tk.finish(zero, err)
}

// finish records the outcome of the task's function and wakes its waiters.
func (tk *Task[T]) finish(v T, err error) {
	t := &tk.t
	state := stateFinished
	switch {
	case err == nil:
		tk.value = v
	case isCancellation(err):
		state = stateCancelled
		t.fb.err = err
	default:
		t.fb.err = err
		t.fb.fail = &failure{l: t.loop()} // before the waiters look at it
	}
	t.cancelContext() // like an http.Request's context when its handler returns
	t.loop().live.remove(t)
	t.fb.complete(state)
	if t.fb.failed() {
		trackFailure(tk, tk, &t.fb)
	}
}

// isCancellation reports whether a task that ends with err ends cancelled:
// err matches context.Canceled and is not a panic.
func isCancellation(err error) bool {
	if _, ok := err.(*PanicError); ok {
		return false
	}
	return errors.Is(err, context.Canceled)
}

// callerOutside returns the position of the first caller outside this
// package, for debug reports.
func callerOutside() string {
	pcs := make([]uintptr, 16)
	n := runtime.Callers(3, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !isOwnFrame(f.Function) || !more {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
	}
}

func isOwnFrame(fn string) bool {
	const pkg = "github.com/goasyncio/asyncio."
	return len(fn) > len(pkg) && fn[:len(pkg)] == pkg
}

// A taskList is the loop's list of live tasks, in creation order: what Run
// cancels at the end and what deadlock reports name. It is not a
// waitq.List, though it is one in all but layout: its links live in the
// task (prev, next), 16 bytes, where a waitq.Node embedded in the task
// would take 32, with a back pointer to the task and one to its list,
// which would move Task[int] from the 288-byte size class to the 320 one,
// for every task.
type taskList struct {
	first, last *task
	n           int
}

func (ls *taskList) add(t *task) {
	t.prev = ls.last
	if ls.last != nil {
		ls.last.next = t
	} else {
		ls.first = t
	}
	ls.last = t
	ls.n++
}

func (ls *taskList) remove(t *task) {
	if t.prev != nil {
		t.prev.next = t.next
	} else {
		ls.first = t.next
	}
	if t.next != nil {
		t.next.prev = t.prev
	} else {
		ls.last = t.prev
	}
	t.prev, t.next = nil, nil
	ls.n--
}

// all returns the live tasks in creation order.
func (ls *taskList) all() []*task {
	ts := make([]*task, 0, ls.n)
	for t := ls.first; t != nil; t = t.next {
		ts = append(ts, t)
	}
	return ts
}

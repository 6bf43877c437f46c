package asyncio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/internal/coro"
	"github.com/goasyncio/asyncio/internal/ring"
	"github.com/goasyncio/asyncio/internal/waitq"
)

// The life of a loop, in its state field:
//
//	idle ──begin──▶ running ──end──▶ idle ──Close──▶ closing ──▶ closed
//
// A loop runs (RunUntilComplete, RunForever, Run) from idle and goes back
// to idle; it may run again. Close, from idle, drops the inbox, unwinds the
// pending tasks (closing: they may still schedule on the loop as they go)
// and leaves the loop closed for good. Stop is not a state: it asks a
// running loop to end after the current iteration.
type loopState int32

const (
	loopIdle loopState = iota
	loopRunning
	loopClosing
	loopClosed
)

func (l *Loop) lifecycle() loopState { return loopState(l.state.Load()) }

// One iteration of the loop:
//
//  1. If nothing is ready and the loop is not stopping, wait: until the
//     earliest timer or a CallSoonThreadsafe message with the real clock;
//     with the virtual clock, jump to the earliest timer, or report a
//     deadlock if there is none and no executor work is in flight.
//  2. Move the timers that are due to the ready queue, earliest first.
//  3. Move the messages of CallSoonThreadsafe to the ready queue, in the order
//     they were sent.
//  4. Run the entries that were ready when the iteration began (todo of
//     them), first in, first out. What they schedule runs in the next
//     iteration, so Sleep(ctx, 0) lets every other ready task run once.
//
// A task in the ready queue is stepped by switching to its coroutine until
// it next awaits. The main task of RunUntilComplete is the exception: it runs
// on the loop's own goroutine, and when it awaits it runs the iterations
// itself until its own entry comes up, which saves two coroutine switches
// per wake-up of the task that usually does most of the awaiting.

// A Loop runs tasks and callbacks one at a time on one goroutine. Make one
// with NewLoop, or let Run make, run and close one.
//
// Unless a method says otherwise, it must be called on the goroutine that
// runs the loop (from a task or a callback), or before the loop first runs;
// only CallSoonThreadsafe, Time, IsRunning and IsClosed may be called from
// any goroutine. The zero Loop is not usable, and a Loop must not be copied.
type Loop struct {
	_ noCopy

	// Loop-confined state.
	ready    ring.Ring[runnable]
	todo     int // entries of the current iteration not yet run
	timers   timerHeap
	timerSeq uint64
	current  *task     // the task whose code is running, if any
	mainStep time.Time // in debug mode, when the inline main task last resumed
	stopping bool      // Stop was called: end after this iteration
	live     taskList
	taskSeq  uint64
	external int // executor calls in flight; they hold virtual time still

	idleCoros   []*coro.Coro
	unretrieved []*failure // futures that failed, until retrieved or reported
	pruneAt     int
	handler     func(*Exception)
	sysTimer    *time.Timer
	executor    futures.Executor        // the default executor, made on first use
	ownExecutor bool                    // the loop made it and shuts it down
	parent      context.Context         // WithContext's: cancels main tasks, gives them values
	watched     waitq.List[ctxWatch]    // suspensions bounded by a ctx (ctxwait.go)
	deadlines   map[int64]time.Duration // loop times of ctx deadlines, under a virtual clock
	signals     *signalHandlers         // AddSignalHandler's, and Run's SIGINT (signal.go)
	runSIGINT   bool                    // made by Run: the first SIGINT cancels the main task
	// When reportQueued last reported, in debug mode (executor.go).
	queuedReported time.Time
	net            Network               // WithNetwork's; nil: the operating system's (network.go)
	resources      waitq.List[io.Closer] // open streams, servers and endpoints, closed with the loop

	// Fixed at creation.
	id      uint64 // see Loops
	virtual bool
	debug   bool
	start   time.Time

	state atomic.Int32 // a loopState; read by other goroutines
	vnow  atomic.Int64 // virtual time, in nanoseconds
	// When a task's ctx was last asked its Deadline, under a virtual
	// clock, on the loop's clock and the wall's (ctxwait.go deadlineAt).
	askAt, askWall atomic.Int64

	// The inbox of CallSoonThreadsafe.
	mu     sync.Mutex
	inbox  []*Handle
	inboxN atomic.Int32
	// What must learn that the inbox was dropped at Close: the callbacks
	// of RunCoroutineThreadsafe not run yet, which would otherwise leave
	// their futures pending for good.
	onDrop map[*Handle]func()
	wake   chan struct{} // one token: "the inbox has something"

	// The loop's own poller, once a connection is polled (poller_linux.go);
	// then the loop sleeps in it, and pollState says whether it does.
	poll      *poller
	pollState atomic.Int32
	polled    bool // the poller was looked at in this iteration's prepare
}

// An Option configures a loop made by NewLoop or Run.
type Option interface{ apply(*Loop) }

type optionFunc func(*Loop)

func (f optionFunc) apply(l *Loop) { f(l) }

// WithVirtualClock makes the loop's clock virtual: it starts at zero, and
// whenever nothing is ready to run and no executor work is in flight, it
// jumps to the next timer instead of waiting. An hour of Sleep takes no real
// time, and runs are reproducible. If nothing is ready, no timer is set and
// no executor work is in flight, no progress is possible, so the loop stops
// with an error matching ErrDeadlock that names the stuck tasks. A timer at
// the end of the clock (a deadline of time.Duration(math.MaxInt64) from
// now, say) counts as none: the clock does not jump there.
//
// Goroutines that the loop does not know about do not hold the clock: a
// goroutine that would call CallSoonThreadsafe later does not keep the loop
// from jumping ahead or reporting a deadlock. Work handed to other
// goroutines must be counted by the loop's executor bridge. I/O counts as
// work in flight: while a stream, server or datagram endpoint of the loop
// is open, the clock does not jump, since the network may still deliver;
// a test that wants virtual time closes its connections, or runs them on
// a simulated network.
func WithVirtualClock() Option {
	return optionFunc(func(l *Loop) { l.virtual = true })
}

// WithDebug turns on checks that cost time: callbacks and task steps that
// hold the loop for longer than 100ms are reported, tasks record where they
// were created so that reports can name it, and a loop that has waited a
// long time with nothing scheduled reports its stuck tasks. On the real
// clock, executor work that has waited a second for a worker is reported
// with the tasks that wait for it: the executor is full. Task dumps say so
// in any mode.
func WithDebug() Option {
	return optionFunc(func(l *Loop) { l.debug = true })
}

// WithContext ties the main task of Run and RunUntilComplete to ctx: the
// main task's ctx carries ctx's values, and when ctx is done the main task is
// cancelled, as Cancel does, so that Run returns once the main task has
// handled it. This is how a program stops its loop on a signal, with a
// context from signal.NotifyContext. A ctx cancelled with a cause
// (context.WithCancelCause) cancels the main task with that cause, as
// Task.CancelWithCause does. The loop looks at ctx as each iteration
// begins, so a cancellation by one of its own tasks is seen at once, also
// under WithVirtualClock.
func WithContext(ctx context.Context) Option {
	return optionFunc(func(l *Loop) { l.parent = ctx })
}

// WithExceptionHandler sets the loop's exception handler, as
// Loop.SetExceptionHandler does.
func WithExceptionHandler(h func(*Exception)) Option {
	return optionFunc(func(l *Loop) { l.handler = h })
}

// NewLoop returns a new loop that is neither running nor closed. Run it with
// RunUntilComplete or RunForever, and Close it when done with it.
func NewLoop(opts ...Option) *Loop {
	l := &Loop{start: time.Now(), wake: make(chan struct{}, 1)}
	for _, o := range opts {
		o.apply(l)
	}
	l.register()
	return l
}

// Time returns the loop's clock: the time elapsed since the loop was made,
// or the virtual time under WithVirtualClock. It may be called from any
// goroutine.
func (l *Loop) Time() time.Duration {
	if l.virtual {
		return time.Duration(l.vnow.Load())
	}
	return time.Since(l.start)
}

// IsRunning reports whether the loop is running. It may be called from any
// goroutine.
func (l *Loop) IsRunning() bool { return l.lifecycle() == loopRunning }

// IsClosed reports whether Close was called. It may be called from any
// goroutine.
func (l *Loop) IsClosed() bool { return l.lifecycle() >= loopClosing }

// CallSoon schedules fn to run in a later iteration of the loop, after the
// callbacks already scheduled: callbacks run in the order they were
// scheduled. A panic in fn goes to the exception handler. CallSoon on a
// closed loop panics.
func (l *Loop) CallSoon(fn func()) *Handle {
	l.checkOpen("CallSoon")
	h := &Handle{fn: fn, loop: l}
	l.ready.Push(h)
	return h
}

// CallLater schedules fn to run once d has passed on the loop's clock.
// Callbacks due at the same time run in the order they were scheduled. A
// negative d counts as zero; a d that reaches past the end of the clock,
// such as time.Duration(math.MaxInt64), means never.
func (l *Loop) CallLater(d time.Duration, fn func()) *TimerHandle {
	return l.CallAt(l.after(max(d, 0)), fn)
}

// never is the end of the loop's clock. A timer due then never fires, and
// under WithVirtualClock the clock does not jump to it.
const never = time.Duration(math.MaxInt64)

// after returns the loop time d from now. A sum past the end of the clock
// is never: time.Duration(math.MaxInt64) is Go's usual "no limit", and
// now+d would otherwise wrap into the past and fire at once.
func (l *Loop) after(d time.Duration) time.Duration {
	now := l.Time()
	if d > never-now {
		return never
	}
	return now + d
}

// CallAt schedules fn to run when the loop's clock reaches when (see Time).
// Callbacks due at the same time run in the order they were scheduled.
func (l *Loop) CallAt(when time.Duration, fn func()) *TimerHandle {
	l.checkOpen("CallAt")
	h := &TimerHandle{Handle: Handle{fn: fn, loop: l}}
	h.t = timer{when: when, r: &h.Handle}
	l.addTimer(&h.t)
	return h
}

// CallSoonThreadsafe schedules fn to run on the loop, as CallSoon does, and
// wakes the loop if it is waiting. It may be called from any goroutine; it is
// the way for other goroutines to hand work or results to the loop. Calls
// from one goroutine run in the order they were made. It returns
// ErrLoopClosed once the loop is closed, and fn will then never run.
func (l *Loop) CallSoonThreadsafe(fn func()) error {
	return l.enqueue(&Handle{fn: fn, loop: l}, nil)
}

// enqueue adds h to the inbox and wakes the loop. If onDrop is not nil and
// Close drops h before it runs, Close calls onDrop.
func (l *Loop) enqueue(h *Handle, onDrop func()) error {
	l.mu.Lock()
	if l.lifecycle() >= loopClosing {
		l.mu.Unlock()
		return ErrLoopClosed
	}
	if onDrop != nil {
		if l.onDrop == nil {
			l.onDrop = make(map[*Handle]func())
		}
		l.onDrop[h] = onDrop
	}
	l.inbox = append(l.inbox, h)
	l.inboxN.Store(int32(len(l.inbox)))
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
	l.wakePoller()
	return nil
}

// Stop makes RunForever return once the current iteration is complete. A
// RunUntilComplete in progress fails as its main task can no longer
// complete. Stop before the loop runs makes the next run stop after one
// iteration.
func (l *Loop) Stop() { l.stopping = true }

// RunForever runs the loop until Stop is called. It returns ErrLoopClosed or
// ErrLoopRunning if the loop cannot run (also when called from a task or
// callback of any running loop, see Run), and, under WithVirtualClock, an
// error matching ErrDeadlock when nothing can ever be scheduled again.
func (l *Loop) RunForever() error {
	if err := l.begin(); err != nil {
		return err
	}
	defer l.end()
	for {
		if err := l.iterate(); err != nil {
			return err
		}
		if l.stopping {
			return nil
		}
	}
}

// Close closes the loop. Tasks still pending are destroyed: each is reported
// to the exception handler, unwound so that its deferred calls run, and
// marked cancelled. Futures and tasks whose error was never retrieved are
// reported too. Signal handlers are removed, as RemoveSignalHandler does.
// Streams, servers and datagram endpoints left open are closed, and child
// processes still running are killed and reaped, which Close waits for.
// The
// default executor the loop made is shut down without waiting for its work
// (see ShutdownDefaultExecutor). Close returns
// ErrLoopRunning on a running loop; on a closed loop it does nothing.
func (l *Loop) Close() error {
	l.mu.Lock() // so that no CallSoonThreadsafe adds to the inbox dropped here
	if !l.state.CompareAndSwap(int32(loopIdle), int32(loopClosing)) {
		l.mu.Unlock()
		if l.lifecycle() == loopRunning {
			return ErrLoopRunning
		}
		return nil // closed already, or closing
	}
	l.inbox = nil
	dropped := l.onDrop
	l.onDrop = nil
	l.mu.Unlock()
	l.closeSignals()
	for _, fn := range dropped {
		fn()
	}
	unregister(l.id)

	l.destroyPending()
	l.closeResources()
	l.closePoller()
	l.state.Store(int32(loopClosed))
	l.reportUnretrieved()
	if l.ownExecutor {
		l.executor.Shutdown(false) // Run waits for it; Close does not block
	}
	for _, c := range l.idleCoros {
		c.Stop()
	}
	l.idleCoros = nil
	if l.sysTimer != nil {
		l.sysTimer.Stop()
	}
	l.ready.Clear()
	l.timers = nil
	return nil
}

// destroyPending unwinds the tasks that are still pending at Close, so that
// their goroutines end and their deferred calls run, and marks them
// cancelled.
func (l *Loop) destroyPending() {
	for _, t := range l.live.all() {
		l.report(&Exception{Message: "Task was destroyed but it is pending", Future: t.body.(Waiter)})
		if t.coro != nil {
			c := t.coro
			t.coro = nil
			c.Stop()
		}
		if t.fb.state == statePending {
			t.body.fail(ErrCancelled)
		}
	}
}

// checkOpen panics if the loop is closed: scheduling on it would silently
// never run.
func (l *Loop) checkOpen(op string) {
	if l.lifecycle() == loopClosed {
		panic(fmt.Errorf("%w: %s on a closed loop", ErrLoopClosed, op))
	}
}

// begin marks the loop running, or says why it cannot run.
func (l *Loop) begin() error {
	if l.lifecycle() >= loopClosing {
		return ErrLoopClosed
	}
	if insideLoop() {
		return errNested
	}
	if !l.state.CompareAndSwap(int32(loopIdle), int32(loopRunning)) {
		if l.lifecycle() >= loopClosing {
			return ErrLoopClosed
		}
		return ErrLoopRunning
	}
	runningLoops.Add(1)
	return nil
}

// end marks the loop stopped; a Stop request has been honoured.
func (l *Loop) end() {
	l.stopping = false
	l.stepping(nil)
	l.state.Store(int32(loopIdle))
	runningLoops.Add(-1)
}

// errNested is why a loop does not start on a goroutine that runs a task or
// callback of another loop.
var errNested = fmt.Errorf("%w: cannot start a loop from a task or callback of a running loop, which would stand still until it ended; Await the work there instead (call the function, or CreateTask), or run the loop on a goroutine of its own", ErrLoopRunning)

// runningLoops counts the loops running in the process, so that insideLoop
// costs nothing while none runs.
var runningLoops atomic.Int32

// insideLoop reports whether the calling goroutine runs a task or a
// callback of a running loop. Go has no goroutine-local state to record
// that in, as CPython records its running loop per thread, so the answer
// comes from the call stack: a task's function is always called by
// runBody, on the task's coroutine or, for the inline main task, on the
// loop's goroutine, and a callback by Loop.call. Walking the stack costs a
// few microseconds, once per run of a loop, and only while a loop runs.
func insideLoop() bool {
	if runningLoops.Load() == 0 {
		return false
	}
	pcs := make([]uintptr, 64)
	for {
		n := runtime.Callers(3, pcs)
		if n < len(pcs) {
			pcs = pcs[:n]
			break
		}
		pcs = make([]uintptr, 2*len(pcs))
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if isLoopFrame(f.Function) {
			return true
		}
		if !more {
			return false
		}
	}
}

// isLoopFrame reports whether fn, a function name as the runtime gives it,
// is one through which a loop runs user code.
func isLoopFrame(fn string) bool {
	const pkg = "github.com/goasyncio/asyncio."
	rest, ok := strings.CutPrefix(fn, pkg)
	return ok && (rest == "(*Loop).call" ||
		strings.HasPrefix(rest, "(*Task[") && strings.HasSuffix(rest, "]).runBody"))
}

// iterate finishes the current iteration, or runs a whole new one.
func (l *Loop) iterate() error {
	if l.todo == 0 {
		if err := l.prepare(); err != nil {
			return err
		}
	}
	for l.todo > 0 {
		l.todo--
		l.runEntry(l.ready.Pop())
	}
	return nil
}

// runInline runs the loop on behalf of the inline main task t, which has
// just suspended, until t's own entry comes up in the ready queue. It
// unwinds t with the error if the loop can make no more progress.
func (l *Loop) runInline(t *task) {
	l.stepping(nil)
	for {
		if l.todo == 0 {
			if l.stopping {
				panic(unwind{errStopped})
			}
			if err := l.prepare(); err != nil {
				panic(unwind{err})
			}
		}
		for l.todo > 0 {
			l.todo--
			r := l.ready.Pop()
			if r == runnable(t) {
				l.stepping(t)
				if l.debug {
					l.mainStep = time.Now()
				}
				return
			}
			l.runEntry(r)
		}
	}
}

// stepping records that t's code runs now on the loop's goroutine, or,
// with nil, that no task's does: the one place that changes current. A
// task's step begins in task.run, or, for the inline main task, when
// runInline hands the goroutine back to it; it ends when the task suspends
// or returns, and when the loop stops.
func (l *Loop) stepping(t *task) { l.current = t }

// errStopped is why RunUntilComplete fails when Stop comes first.
var errStopped = errors.New("asyncio: loop stopped before the main task completed")

// An unwind is the panic value that unwinds the inline main task when the
// loop cannot go on; RunUntilComplete recovers it.
type unwind struct{ err error }

// runEntry runs one ready entry, timing it in debug mode.
func (l *Loop) runEntry(r runnable) {
	if !l.debug {
		r.run()
		return
	}
	start := time.Now()
	r.run()
	if d := time.Since(start); d > slowCallback {
		l.report(&Exception{Message: slowReport(r, d.Round(time.Millisecond))})
	}
}

// endMainStep reports, in debug mode, a step of the inline main task that
// held the loop too long, as runEntry does for other tasks' steps. The
// main task's steps run outside runEntry: from when runInline hands the
// loop's goroutine back to it until it suspends again or returns.
func (l *Loop) endMainStep(t *task) {
	if !l.debug {
		return
	}
	if d := time.Since(l.mainStep); d > slowCallback {
		l.report(&Exception{Message: slowReport(t, d.Round(time.Millisecond))})
	}
}

// slowReport says which callback or task step held the loop for d, and
// where.
func slowReport(r runnable, d time.Duration) string {
	t, ok := r.(*task)
	if !ok {
		return fmt.Sprintf("executing %v took %v", r, d)
	}
	s := fmt.Sprintf("task %s (%s) held the loop for %v", t.Name(), funcName(t.pc), d)
	if x := t.extra.Load(); x != nil && x.suspendedAt != "" && t.fb.state == statePending {
		s += "; it then suspended at " + x.suspendedAt
	}
	return s
}

// slowCallback is how long a callback or task step may hold the loop in
// debug mode before it is reported.
const slowCallback = 100 * time.Millisecond

// prepare begins an iteration: it waits for something to do if needed, then
// moves due timers and the inbox to the ready queue.
func (l *Loop) prepare() error {
	if l.watched.Len() > 0 {
		l.endDoneWatches()
	}
	l.polled = false
	if l.ready.Len() == 0 && !l.stopping {
		if err := l.idle(); err != nil {
			return err
		}
	}
	if !l.polled {
		l.pollNow() // connections are served while tasks keep the loop busy
	}
	if len(l.timers) > 0 {
		now := l.Time()
		for len(l.timers) > 0 && l.timers[0].when <= now {
			l.ready.Push(l.timers.pop().r)
		}
	}
	if l.inboxN.Load() > 0 {
		l.drainInbox()
	}
	l.todo = l.ready.Len()
	return nil
}

func (l *Loop) drainInbox() {
	l.mu.Lock()
	in := l.inbox
	l.inbox = nil
	l.inboxN.Store(0)
	l.mu.Unlock()
	for _, h := range in {
		l.ready.Push(h)
	}
}

// idle waits until something can be run. It never busy-waits: with the real
// clock it blocks in a select until the earliest timer or a wake-up from
// CallSoonThreadsafe.
func (l *Loop) idle() error {
	var w idleWait
	for l.inboxN.Load() == 0 && l.ready.Len() == 0 { // a report from block may schedule work
		if len(l.timers) > 0 && l.timers[0].when <= l.Time() {
			return nil
		}
		if l.virtual && l.external == 0 {
			if !l.timerSet() {
				return l.deadlock()
			}
			l.vnow.Store(int64(l.timers[0].when))
			return nil
		}
		l.block(&w)
	}
	return nil
}

// An idleWait is the state of one idle period of the loop.
type idleWait struct {
	since    time.Time
	reported bool
}

// block waits for a wake-up from CallSoonThreadsafe, for the earliest timer
// with the real clock, or, while idle coroutines are being trimmed, for a
// short pause. In debug mode, a loop with nothing scheduled reports its
// stuck tasks after a while.
func (l *Loop) block(w *idleWait) {
	if w.since.IsZero() {
		w.since = time.Now()
	}
	forever, wait := l.nextWake(w)
	// Give memory back only when the loop has time for it: trimming a
	// batch of coroutines takes a few milliseconds, which must not delay a
	// timer that is nearly due.
	if forever || wait >= compactIdle {
		more := l.compact()
		forever, wait = l.nextWake(w)
		if more && (forever || wait > trimPause) {
			forever, wait = false, trimPause
		}
	}
	if l.poll != nil {
		l.polled = true
		if l.pollWait(forever, wait) {
			l.idleTimedOut(w)
		}
		return
	}
	var due <-chan time.Time
	if !forever {
		due = l.resetSysTimer(wait)
	}
	select {
	case <-l.wake:
	case <-due:
		l.idleTimedOut(w)
	}
}

// idleTimedOut is what block does when its wait runs out: in debug mode, a
// loop with nothing scheduled reports its stuck tasks after a while.
func (l *Loop) idleTimedOut(w *idleWait) {
	if l.debug && !w.reported && !l.timerSet() && time.Since(w.since) >= stuckReport {
		w.reported = true
		l.reportStuck()
	}
}

// nextWake returns how long block may wait, or forever. A deadline may
// pass between idle's look at the clock and this one: wait is then 0, not
// negative, which would have meant forever.
func (l *Loop) nextWake(w *idleWait) (forever bool, wait time.Duration) {
	switch {
	case l.virtual:
	case l.timerSet():
		return false, max(0, l.timers[0].when-l.Time())
	case l.debug && !w.reported:
		return false, max(0, stuckReport-time.Since(w.since))
	}
	return true, 0
}

// compactIdle is how long the loop must expect to be idle before it gives
// memory back.
const compactIdle = 10 * time.Millisecond

// stuckReport is how long a debug loop waits with nothing scheduled before
// it reports what its tasks are waiting for; a variable so that tests need
// not wait ten seconds.
var stuckReport = 10 * time.Second

func (l *Loop) resetSysTimer(d time.Duration) <-chan time.Time {
	if l.sysTimer == nil {
		l.sysTimer = time.NewTimer(d)
	} else {
		l.sysTimer.Reset(d)
	}
	return l.sysTimer.C
}

// timerSet reports whether a timer is set that can fire: one due before
// the end of the clock.
func (l *Loop) timerSet() bool {
	return len(l.timers) > 0 && l.timers[0].when != never
}

func (l *Loop) addTimer(t *timer) {
	t.seq = l.timerSeq
	l.timerSeq++
	l.timers.push(t)
}

// call runs a callback; a panic in it goes to the exception handler.
func (l *Loop) call(h *Handle) {
	defer func() {
		if p := recover(); p != nil {
			l.report(&Exception{
				Message: "panic in callback " + h.String(),
				Err:     &PanicError{Value: p, Stack: debug.Stack()},
				Handle:  h,
			})
		}
	}()
	h.fn()
}

// addExternal and doneExternal count executor work in flight, which holds
// the virtual clock still: the work may still schedule callbacks.
func (l *Loop) addExternal()  { l.external++ }
func (l *Loop) doneExternal() { l.external-- }

// getCoro returns an idle coroutine for a new task.
func (l *Loop) getCoro() *coro.Coro {
	if n := len(l.idleCoros); n > 0 {
		c := l.idleCoros[n-1]
		l.idleCoros[n-1] = nil
		l.idleCoros = l.idleCoros[:n-1]
		return c
	}
	return coro.New()
}

// putCoro keeps the coroutine of a finished task for the next task. A new
// task on a reused coroutine skips making a goroutine, its stack and
// iter.Pull's closures, which is most of the cost of a short task.
func (l *Loop) putCoro(c *coro.Coro) {
	l.idleCoros = append(l.idleCoros, c)
}

// While the loop is busy, every finished task's coroutine is kept, however
// many: a burst of tasks tends to be followed by another. When the loop has
// nothing to do, it ends the coroutines beyond keepIdleCoros, a batch at a
// time between short pauses, so that the memory of a burst is returned
// without stalling a loop that wakes up meanwhile.
const (
	keepIdleCoros = 1024
	trimBatch     = 4096
	trimPause     = time.Millisecond
)

// compact returns memory that a burst of work left behind, as the loop goes
// idle: it shrinks the ready queue's and the timer heap's buffers, and ends
// a batch of excess idle coroutines. It reports whether excess coroutines
// remain.
func (l *Loop) compact() bool {
	l.ready.Shrink()
	if cap(l.timers) > 1024 && len(l.timers) < cap(l.timers)/4 {
		l.timers = append(make(timerHeap, 0, 2*len(l.timers)), l.timers...)
	}
	return l.trimCoros()
}

// trimCoros ends a batch of excess idle coroutines, the least recently used
// first, and reports whether excess ones remain.
func (l *Loop) trimCoros() bool {
	n := min(len(l.idleCoros)-keepIdleCoros, trimBatch)
	if n <= 0 {
		return false
	}
	for _, c := range l.idleCoros[:n] {
		c.Stop()
	}
	k := copy(l.idleCoros, l.idleCoros[n:])
	clear(l.idleCoros[k:])
	l.idleCoros = l.idleCoros[:k]
	if k <= keepIdleCoros {
		l.idleCoros = append([]*coro.Coro(nil), l.idleCoros...) // let the big array go
		return false
	}
	return true
}

// GetRunningLoop returns the loop that runs the task owning ctx, or
// ErrNoRunningLoop if ctx does not belong to a task or the loop is not
// running. It may be called from any goroutine, for example to hand a
// goroutine the loop it should call CallSoonThreadsafe on.
func GetRunningLoop(ctx context.Context) (*Loop, error) {
	t := taskOf(ctx)
	if t == nil || !t.loop().IsRunning() {
		return nil, ErrNoRunningLoop
	}
	return t.loop(), nil
}

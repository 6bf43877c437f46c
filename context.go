package asyncio

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// A task is the context.Context its function receives. Unlike the rest of
// the task, these methods may be called from any goroutine, so that work the
// task hands to other goroutines (ToThread, an http.Request) can watch it.
//
// The context is cancelled when the task is cancelled or finishes. It keeps
// the values of the context the task was created with, but not its
// cancellation: like an asyncio task, a task outlives a cancelled creator
// unless someone cancels it.
//
// Contexts derived from it (context.WithCancel and friends) are cheap: the
// task implements AfterFunc, which the context package uses instead of
// starting a goroutine per derived context.

// taskKey is the context key under which a task finds itself.
type taskKey struct{}

// taskOf returns the task that owns ctx, or nil.
func taskOf(ctx context.Context) *task {
	if t, ok := ctx.(*task); ok {
		return t
	}
	if ctx == nil {
		return nil
	}
	t, _ := ctx.Value(taskKey{}).(*task)
	return t
}

// Deadline reports no deadline: a task ends when it returns or is
// cancelled.
func (t *task) Deadline() (deadline time.Time, ok bool) {
	if l := t.loop(); l.virtual {
		l.noteDeadlineAsk() // a ctx is being derived, as a rule (ctxwait.go)
	}
	return
}

// Done returns a channel that is closed when the task is cancelled or done.
func (t *task) Done() <-chan struct{} {
	x := t.ctxExtra()
	return x.channel(t.markWatched()&ctxCancelled != 0)
}

// The bits of task.ctxFlags. Done and AfterFunc set ctxWatched, and
// cancelContext sets ctxCancelled; both are atomic read-modify-writes of
// one word, so whichever comes second sees the other, and a task that
// nobody watched is cancelled without taking a lock.
const (
	ctxCancelled = 1 << iota
	ctxWatched
)

func (t *task) markWatched() (old uint32) { return t.ctxFlags.Or(ctxWatched) }

// A taskExtra holds what few tasks need: the state of a watched context,
// the cause of a cancellation, and the creation site in debug mode.
type taskExtra struct {
	doneSignal
	created     string // where the task was made, in debug mode
	suspendedAt string // where it last suspended, in debug mode
	cause       error  // why the task was last interrupted (CancelWithCause)
	// Loop-confined, for waits given a ctx of their own (ctxwait.go):
	waits  uint64 // such waits so far
	ctxErr error  // why a watched ctx ended the suspension
}

// ctxExtra returns the task's taskExtra, making it on first use.
func (t *task) ctxExtra() *taskExtra {
	if x := t.extra.Load(); x != nil {
		return x
	}
	t.extra.CompareAndSwap(nil, new(taskExtra))
	return t.extra.Load()
}

var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// Err returns context.Canceled once the task is cancelled or done, and nil
// before.
func (t *task) Err() error {
	if t.ctxFlags.Load()&ctxCancelled != 0 {
		return context.Canceled
	}
	return nil
}

// Value returns the task itself for the package's own key, and otherwise
// the value the creator's context holds.
func (t *task) Value(key any) any {
	if key == (taskKey{}) {
		return t
	}
	if t.parent == nil {
		return nil
	}
	return t.parent.Value(key)
}

// String names the task, as context values print their parents.
func (t *task) String() string { return "asyncio.Task(" + t.Name() + ")" }

// AfterFunc arranges for f to be called when the context is cancelled, and
// returns a function that unregisters it and reports whether it did. The
// context package calls it for contexts derived from a task's; f runs on the
// goroutine that cancels the task and must not block.
func (t *task) AfterFunc(f func()) (stop func() bool) {
	x := t.ctxExtra()
	return x.register(f, t.markWatched()&ctxCancelled != 0)
}

// cancelContext marks the context done, closes Done's channel and calls the
// AfterFunc functions.
func (t *task) cancelContext() {
	old := t.ctxFlags.Or(ctxCancelled)
	if old&ctxCancelled == 0 && old&ctxWatched != 0 {
		t.extra.Load().fire(context.Canceled)
	}
}

// A doneSignal is the part of a context that other goroutines watch: the
// channel Done returns, made on first use, and the functions registered with
// AfterFunc. Tasks and scopes share it; its methods may be called from any
// goroutine.
type doneSignal struct {
	mu     sync.Mutex
	ch     chan struct{}
	afters map[*afterFunc]struct{}
	err    error // why it fired; nil before
}

// An afterFunc is a function registered with AfterFunc.
type afterFunc struct{ f func() }

// channel returns the Done channel; fired says the owner knows it is done
// already.
func (s *doneSignal) channel(fired bool) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		if fired || s.err != nil {
			s.ch = closedChan
		} else {
			s.ch = make(chan struct{})
		}
	}
	return s.ch
}

// register arranges for f to be called when the signal fires, at once if it
// has (or if the owner says so), and returns the function that unregisters
// it.
func (s *doneSignal) register(f func(), fired bool) (stop func() bool) {
	a := &afterFunc{f: f}
	s.mu.Lock()
	if fired || s.err != nil {
		s.mu.Unlock()
		f()
		return func() bool { return false }
	}
	if s.afters == nil {
		s.afters = make(map[*afterFunc]struct{})
	}
	s.afters[a] = struct{}{}
	s.mu.Unlock()
	return func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		_, ok := s.afters[a]
		delete(s.afters, a)
		return ok
	}
}

// fire closes the channel and calls the registered functions, and reports
// whether it did: only the first call does.
func (s *doneSignal) fire(err error) bool {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return false
	}
	s.err = err
	if s.ch != nil && s.ch != closedChan {
		close(s.ch)
	}
	s.ch = closedChan
	afters := s.afters
	s.afters = nil
	s.mu.Unlock()
	for a := range afters {
		a.f()
	}
	return true
}

// fired returns why the signal fired, or nil.
func (s *doneSignal) fired() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// A scopeCtx is the context of a Timeout or a TaskGroup: it carries its
// parent's values and is done when its scope cancels it or when the parent
// is done, whichever comes first. Like a task, it implements AfterFunc so
// that contexts derived from it start no goroutine. Its methods may be
// called from any goroutine.
type scopeCtx struct {
	context.Context // the parent
	key, scope      any
	stopParent      atomic.Pointer[func() bool]
	// pure is set when the parent is the task or a pure scope: the scope
	// is then done exactly when the task is interrupted or the scope
	// cancels it, which a wait needs not watch (ctxwait.go).
	pure bool
	doneSignal
}

// newScopeCtx returns a context under parent in which Value(key) is scope.
func newScopeCtx(parent context.Context, key, scope any) *scopeCtx {
	c := &scopeCtx{Context: parent, key: key, scope: scope}
	switch p := parent.(type) {
	case *task:
		c.pure = true
	case *scopeCtx:
		c.pure = p.pure
	}
	onParentDone := func() { c.cancel(parent.Err()) }
	var stop func() bool
	if a, ok := parent.(afterFuncer); ok {
		stop = a.AfterFunc(onParentDone) // a task or a scope: called at once, on the loop
	} else {
		stop = context.AfterFunc(parent, onParentDone)
	}
	c.stopParent.Store(&stop)
	return c
}

// An afterFuncer is a context that calls functions when it is done, as tasks
// and scopes do, without a goroutine.
type afterFuncer interface {
	AfterFunc(f func()) (stop func() bool)
}

func (c *scopeCtx) Value(key any) any {
	if key == c.key {
		return c.scope
	}
	return c.Context.Value(key)
}

// Deadline reports a Timeout's deadline as a wall-clock time, so that Go
// code given the ctx (an http.Request, a net.Dialer) can bound itself by
// it, or the parent's deadline if that is earlier. A TimeoutScope that
// never expires, and a TaskGroup's ctx, have the parent's.
func (c *scopeCtx) Deadline() (time.Time, bool) {
	pd, pok := c.Context.Deadline()
	s, ok := c.scope.(*TimeoutScope)
	if !ok {
		return pd, pok
	}
	ns := s.deadline.Load()
	if ns == 0 || pok && pd.UnixNano() <= ns {
		return pd, pok
	}
	return time.Unix(0, ns), true
}

func (c *scopeCtx) Done() <-chan struct{} { return c.channel(false) }

func (c *scopeCtx) Err() error { return c.fired() }

func (c *scopeCtx) AfterFunc(f func()) (stop func() bool) { return c.register(f, false) }

// cancel makes the context done with err; later calls do nothing.
func (c *scopeCtx) cancel(err error) {
	if err == nil {
		err = context.Canceled // a parent that reports done but no error
	}
	if c.fire(err) {
		if stop := c.stopParent.Load(); stop != nil {
			(*stop)()
		}
	}
}

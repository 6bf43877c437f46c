package asyncio

import (
	"context"
	"sync"
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
func (t *task) Deadline() (deadline time.Time, ok bool) { return }

// Done returns a channel that is closed when the task is cancelled or done.
func (t *task) Done() <-chan struct{} {
	x := t.ctxExtra()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.done == nil {
		if t.markWatched()&ctxCancelled != 0 {
			x.done = closedChan
		} else {
			x.done = make(chan struct{})
		}
	}
	return x.done
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
// and the creation site in debug mode.
type taskExtra struct {
	mu          sync.Mutex
	done        chan struct{}
	afters      map[*afterFunc]struct{}
	created     string // where the task was made, in debug mode
	suspendedAt string // where it last suspended, in debug mode
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

// An afterFunc is a function registered with AfterFunc.
type afterFunc struct{ f func() }

// AfterFunc arranges for f to be called when the context is cancelled, and
// returns a function that unregisters it and reports whether it did. The
// context package calls it for contexts derived from a task's; f runs on the
// goroutine that cancels the task and must not block.
func (t *task) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	x := t.ctxExtra()
	x.mu.Lock()
	if t.markWatched()&ctxCancelled != 0 {
		x.mu.Unlock()
		f()
		return func() bool { return false }
	}
	if x.afters == nil {
		x.afters = make(map[*afterFunc]struct{})
	}
	x.afters[a] = struct{}{}
	x.mu.Unlock()
	return func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		_, ok := x.afters[a]
		delete(x.afters, a)
		return ok
	}
}

// cancelContext marks the context done, closes Done's channel and calls the
// AfterFunc functions.
func (t *task) cancelContext() {
	old := t.ctxFlags.Or(ctxCancelled)
	if old&ctxCancelled != 0 || old&ctxWatched == 0 {
		return
	}
	x := t.extra.Load()
	x.mu.Lock()
	if x.done != nil && x.done != closedChan {
		close(x.done)
	}
	x.done = closedChan
	afters := x.afters
	x.afters = nil
	x.mu.Unlock()
	for a := range afters {
		a.f()
	}
}

// A scopeCtx is the context of a Timeout or a TaskGroup: it carries its
// parent's values and is done when its scope cancels it or when the parent
// is done, whichever comes first. Like a task, it implements AfterFunc so
// that contexts derived from it start no goroutine. Its methods may be
// called from any goroutine.
type scopeCtx struct {
	context.Context // the parent
	key, scope      any
	stopParent      func() bool

	mu     sync.Mutex
	done   chan struct{}
	err    error
	afters map[*afterFunc]struct{}
}

// newScopeCtx returns a context under parent in which Value(key) is scope.
func newScopeCtx(parent context.Context, key, scope any) *scopeCtx {
	c := &scopeCtx{Context: parent, key: key, scope: scope}
	onParentDone := func() { c.cancel(parent.Err()) }
	var stop func() bool
	if a, ok := parent.(afterFuncer); ok {
		stop = a.AfterFunc(onParentDone) // a task or a scope: called at once, on the loop
	} else {
		stop = context.AfterFunc(parent, onParentDone)
	}
	c.mu.Lock()
	c.stopParent = stop
	c.mu.Unlock()
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

func (c *scopeCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		if c.err != nil {
			c.done = closedChan
		} else {
			c.done = make(chan struct{})
		}
	}
	return c.done
}

func (c *scopeCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

func (c *scopeCtx) AfterFunc(f func()) (stop func() bool) {
	a := &afterFunc{f: f}
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		f()
		return func() bool { return false }
	}
	if c.afters == nil {
		c.afters = make(map[*afterFunc]struct{})
	}
	c.afters[a] = struct{}{}
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.afters[a]
		delete(c.afters, a)
		return ok
	}
}

// cancel makes the context done with err; later calls do nothing.
func (c *scopeCtx) cancel(err error) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	c.done = closedChan
	afters := c.afters
	c.afters = nil
	stop := c.stopParent
	c.mu.Unlock()
	if stop != nil {
		stop()
	}
	for a := range afters {
		a.f()
	}
}

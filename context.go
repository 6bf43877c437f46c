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
	mu      sync.Mutex
	done    chan struct{}
	afters  map[*afterFunc]struct{}
	created string
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

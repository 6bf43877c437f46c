package asyncio

import (
	"context"
	"errors"
	"slices"

	"github.com/goasyncio/asyncio/internal/waitq"
)

type groupState uint8

const (
	groupRunning groupState = iota // the function given to Group runs
	groupExiting                   // it returned; waiting for the children
	groupDone                      // Group returned
)

// A TaskGroup holds the tasks started in a call to Group: the counterpart of
// asyncio.TaskGroup. Start tasks in it with Go, or with CreateTask and the
// InGroup option. Its methods must be called on the loop's goroutine.
//
// The group fails as a whole: when a child ends with an error (cancellation
// does not count), the group aborts. It cancels its other children, cancels
// the ctx it gave to Group's function, and interrupts that function if it is
// still running (its pending Await returns ErrCancelled); Group then returns
// every child error, joined.
type TaskGroup struct {
	_           noCopy
	parent      *task
	ctx         *scopeCtx
	state       groupState
	children    waitq.List[*task]
	errs        []error
	aborting    bool
	interrupted bool        // abort interrupted the parent inside fn
	outside     int         // the parent's interruption requests when Group began
	waiter      *futureBase // done when the last child is, while the group exits
}

type groupKey struct{}

// Group runs fn in the calling task with a new TaskGroup, then waits until
// every task started in the group is done. It returns the errors of the
// children that failed and of fn, joined with errors.Join, in the order they
// happened; or, if there were none, ErrCancelled if the calling task was
// interrupted from outside the group (by Cancel, an enclosing Timeout or
// TaskGroup) or fn returned a cancellation, and nil otherwise.
//
// If the calling task is interrupted, the children are cancelled and waited
// for. If ctx is derived from the task's (context.WithTimeout and the like)
// and is done, fn's waits end with its error, and if children are still
// running then, the group aborts as for a failed child and its error is
// among those Group returns. If it is interrupted from outside while the group fails, Group
// returns the errors, and the task's next wait returns ErrCancelled: the
// interruption is not lost. fn's ctx carries the values of ctx and is cancelled when the group
// aborts or ends; tasks started in the group inherit its values. If fn
// panics, the children are cancelled and waited for before the panic goes
// on. Group panics as Await does when ctx does not belong to the running
// task.
func Group(ctx context.Context, fn func(ctx context.Context, g *TaskGroup) error) error {
	t := runningTask(ctx, "Group")
	g := &TaskGroup{parent: t, outside: t.requests}
	g.ctx = newScopeCtx(ctx, groupKey{}, g)
	returned := false
	defer func() {
		if !returned { // fn panicked: stop the children before the panic goes on
			g.exitBody()
			g.abort()
			g.waitChildren()
			g.finish()
		}
	}()
	err := fn(g.ctx, g)
	returned = true
	g.exitBody()
	bodyCancelled := false
	if err != nil {
		switch {
		case g.interrupted && !g.interruptedFromOutside() && isCancellation(err):
			// Our own interrupt: the children's errors say why.
		case isCancellation(err):
			bodyCancelled = true
		default:
			g.errs = append(g.errs, err)
		}
		g.abort()
	}
	g.waitChildren()
	g.finish()
	switch {
	case len(g.errs) > 0:
		if g.interruptedFromOutside() {
			// The task is being stopped from outside as well: the errors
			// win here, and the stop comes at the task's next await, as
			// asyncio re-cancels the parent of a failed group.
			t.mustCancel = true
		}
		return errors.Join(g.errs...)
	case bodyCancelled:
		return err
	case g.interruptedFromOutside():
		return t.cancelErr()
	}
	return nil
}

// Go starts fn as a task in the group and returns the task. Its context is
// the task's own, with the group's values. If the group is aborting, the
// task starts cancelled and fn never runs. Go panics once Group has
// returned.
func (g *TaskGroup) Go(fn func(ctx context.Context) error, opts ...TaskOption) *Task[struct{}] {
	if fn == nil {
		panic("asyncio: TaskGroup.Go with a nil function")
	}
	tk := CreateTask(g.ctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	}, slices.Concat(opts, []TaskOption{InGroup(g)})...)
	tk.t.pc = funcPC(fn)
	return tk
}

// InGroup makes the task that CreateTask starts a child of g, as g.Go does,
// for tasks with a result. CreateTask panics with it once Group has returned.
func InGroup(g *TaskGroup) TaskOption {
	return taskOptionFunc(g.adopt)
}

// A groupMember is the waker by which a child tells its group it is done.
type groupMember struct {
	g    *TaskGroup
	node *waitq.Node[*task]
}

func (m *groupMember) wake(fb *futureBase) { m.g.childDone(m, fb) }

func (g *TaskGroup) adopt(t *task) {
	switch {
	case g.state == groupDone:
		panic("asyncio: task started in a TaskGroup whose Group call has returned")
	case t.loop() != g.parent.loop():
		panic("asyncio: task started in a TaskGroup of another loop")
	}
	m := &groupMember{g: g}
	m.node = g.children.PushBack(t)
	t.fb.addWaker(m)
	if g.aborting {
		t.cancel(nil) // it never starts
	}
}

func (g *TaskGroup) childDone(m *groupMember, fb *futureBase) {
	g.children.Remove(m.node)
	if fb.failed() {
		fb.markRetrieved() // Group returns it
		g.errs = append(g.errs, fb.err)
		g.abort()
	}
	if g.children.Len() == 0 && g.waiter != nil {
		g.waiter.signal() // wakes the parent in waitChildren
	}
}

// abort cancels the children and the group's ctx, and interrupts fn if it
// still runs. Aborting twice does nothing.
func (g *TaskGroup) abort() {
	if g.aborting {
		return
	}
	g.aborting = true
	g.ctx.cancel(context.Canceled)
	var children []*task
	for n := g.children.Front(); n != nil; n = n.Next() {
		children = append(children, n.Value)
	}
	for _, c := range children {
		c.cancel(nil)
	}
	if g.state == groupRunning {
		g.interrupted = true
		g.parent.interrupt(nil)
	}
}

// waitChildren suspends the parent until every child is done. If the
// parent is interrupted meanwhile, or the ctx given to Group is done (the
// group's error then), the group aborts and it goes on waiting.
func (g *TaskGroup) waitChildren() {
	watch := g.ctx.Context
	for g.children.Len() > 0 {
		g.waiter = &futureBase{l: g.parent.loop()}
		err := g.parent.waitCtx(watch, g.waiter, awaitGroup)
		if err != nil && !errors.Is(err, ErrCancelled) {
			g.errs = append(g.errs, err)
			watch = g.parent // seen once
		}
		if err != nil {
			g.abort()
		}
	}
	g.waiter = nil
}

// exitBody marks the end of fn, and takes back the interruption of the
// parent that abort made while fn ran, if any.
func (g *TaskGroup) exitBody() {
	g.state = groupExiting
	if g.interrupted {
		g.parent.uncancel()
	}
}

// interruptedFromOutside reports whether the parent has interruption
// requests that are not the group's: a Cancel, an enclosing Timeout or
// TaskGroup.
func (g *TaskGroup) interruptedFromOutside() bool { return g.parent.requests > g.outside }

func (g *TaskGroup) finish() {
	g.state = groupDone
	g.ctx.cancel(context.Canceled)
}

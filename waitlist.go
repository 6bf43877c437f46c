package asyncio

import (
	"context"
	"fmt"

	"github.com/goasyncio/asyncio/internal/waitq"
)

// A waitList is the FIFO list of tasks blocked on a lock, an event, a
// semaphore, a condition or a queue. It is built on the package's exported
// Future and Await alone, and it decides fairness for all of them: waiters
// are woken in the order they began to wait, and a waiter woken with a grant
// (the lock, a permit, an item, a slot) that is cancelled before it resumes
// gets the grant reported back, so that its owner can pass it on rather
// than lose it.
//
// The zero waitList is ready to use. It binds itself to the loop of its
// first user; using it from tasks of another loop panics.
type waitList struct {
	list  waitq.List[*Future[wakeReason]]
	loop  *Loop
	spare *waitq.Node[*Future[wakeReason]] // a waiter's node and future, for reuse
}

// A wakeReason says why a waiter was woken.
type wakeReason uint8

const (
	wakeNone    wakeReason = iota
	wakeGranted            // it was handed what it waits for
	wakeRecheck            // the state changed: look again
)

// check returns the task owning ctx, after checking that it is running and
// belongs to the list's loop; op names the caller in panics.
func (w *waitList) check(ctx context.Context, op string) *task {
	t := runningTask(ctx, op)
	switch {
	case w.loop == nil:
		w.loop = t.loop()
	case w.loop != t.loop():
		panic(fmt.Sprintf("asyncio: %s from a task of another loop than the one it was first used on", op))
	}
	return t
}

// wait blocks the task owning ctx at the back of the list until it is woken
// and returns why. If it is cancelled instead, it returns ErrCancelled and,
// when it had been woken just before, the reason it was woken with.
func (w *waitList) wait(ctx context.Context, kind awaitKind) (wakeReason, error) {
	n := w.takeNode(ctx)
	f := n.Value
	w.list.PushBackNode(n)
	returned := false
	// Deferred, so that a task unwound while it waits (a deadlocked or
	// stopped main task, a task destroyed by Close) does not stay in line.
	defer func() {
		w.list.Remove(n)
		if returned {
			w.spare = n // no one else holds it now: the next waiter reuses it
		}
	}()
	t := taskOf(ctx)
	t.waitKind = kind
	r, err := awaitOn(t, ctx, f, &f.fb) // check made the checks
	t.waitKind = awaitFuture
	if err != nil && f.Done() && !f.Cancelled() {
		r = f.value // woken, then cancelled before it resumed
	}
	returned = true
	return r, err
}

// takeNode returns a node with a pending future: the spare one, reset, or
// a new one. Reuse saves both allocations of a wait in a steady exchange,
// such as two tasks passing items through queues.
func (w *waitList) takeNode(ctx context.Context) *waitq.Node[*Future[wakeReason]] {
	n := w.spare
	if n == nil {
		n = new(waitq.Node[*Future[wakeReason]])
		n.Value = CreateFuture[wakeReason](ctx)
		return n
	}
	w.spare = nil
	f := n.Value
	f.value = wakeNone
	f.fb.state, f.fb.err, f.fb.fail = statePending, nil, nil
	return n
}

// wakeFirst wakes the oldest waiter that is not woken or cancelled yet, and
// reports whether there was one.
func (w *waitList) wakeFirst(r wakeReason) bool {
	for n := w.list.Front(); n != nil; n = n.Next() {
		if !n.Value.Done() {
			n.Value.SetResult(r)
			return true
		}
	}
	return false
}

// wakeAll wakes every waiter that is not woken or cancelled yet.
func (w *waitList) wakeAll(r wakeReason) {
	for n := w.list.Front(); n != nil; n = n.Next() {
		if !n.Value.Done() {
			n.Value.SetResult(r)
		}
	}
}

// queued reports whether some task is in line: waiting, or woken and not
// resumed yet. A task that arrives now must queue behind it to keep the
// order in which tasks are served.
func (w *waitList) queued() bool {
	for n := w.list.Front(); n != nil; n = n.Next() {
		if !n.Value.Cancelled() {
			return true
		}
	}
	return false
}

// waiting reports whether some waiter is not woken or cancelled yet.
func (w *waitList) waiting() bool {
	for n := w.list.Front(); n != nil; n = n.Next() {
		if !n.Value.Done() {
			return true
		}
	}
	return false
}

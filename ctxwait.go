package asyncio

import (
	"context"
	"time"
)

// A Go context is a Go context: a wait given a ctx derived from the task's
// (with a deadline, a cancel, a timeout) ends when that ctx is done, with
// its error, as every Go API that takes a ctx does. The task itself is not
// cancelled, and nothing the wait was after is taken: the wait leaves as a
// cancelled one does, passing on what it was handed. The task's own ctx and
// the ctxs of its Timeouts and TaskGroups need none of this: they are done
// exactly when the task is interrupted, which ends the wait already.
//
// A ctx can be cancelled on the loop's goroutine, by a task of the loop,
// or on any other. The loop keeps the watched waits in a list and looks at
// their ctxs as each iteration begins, before it idles or moves a virtual
// clock, so a cancellation made by a task ends the wait in the next
// iteration, deterministically. For other goroutines, context.AfterFunc
// (which starts a goroutine only when the ctx fires) hands the end of the
// wait to the loop with CallSoonThreadsafe, which wakes an idle loop. A
// deadline is also a timer on the loop's clock, so that under a virtual
// clock the wait ends at the deadline's loop time (to the millisecond
// above, as the wall clock moved on a little since the ctx was made)
// rather than being taken for a deadlock.

// watchCtx prepares the task's next suspension to end when ctx is done. It
// returns ctx's error if ctx is done already, and otherwise a function that
// stops the watch once the suspension is over (nil if there is nothing to
// watch).
func (t *task) watchCtx(ctx context.Context) (stop func(), err error) {
	if ctx == context.Context(t) {
		return nil, nil // the common case, kept small enough to inline
	}
	return t.watchOtherCtx(ctx)
}

func (t *task) watchOtherCtx(ctx context.Context) (stop func(), err error) {
	if _, own := ctx.(*scopeCtx); own {
		return nil, nil
	}
	done := ctx.Done()
	if done == nil || done == t.Done() {
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	l := t.loop()
	t.waits++
	seq := t.waits
	end := func(err error) {
		if t.waits == seq {
			t.endWait(err)
		}
	}
	node := l.watched.PushBack(ctxWatch{t, ctx})
	stopCtx := context.AfterFunc(ctx, func() {
		l.CallSoonThreadsafe(func() { end(ctx.Err()) }) // fails only once the loop is closed
	})
	var th *TimerHandle
	if dl, ok := ctx.Deadline(); ok {
		d := time.Until(dl)
		d = (d + time.Millisecond - 1).Truncate(time.Millisecond)
		th = l.CallLater(d, func() { end(context.DeadlineExceeded) })
	}
	return func() {
		t.waits++ // a callback that comes late finds another wait, or none
		l.watched.Remove(node)
		stopCtx()
		if th != nil {
			th.Cancel()
		}
	}, nil
}

// A ctxWatch is a suspended task and the ctx its wait was given.
type ctxWatch struct {
	t   *task
	ctx context.Context
}

// endDoneWatches ends the waits whose ctx is done, in the order they
// began.
func (l *Loop) endDoneWatches() {
	for n := l.watched.Front(); n != nil; n = n.Next() {
		if err := n.Value.ctx.Err(); err != nil {
			n.Value.t.endWait(err)
		}
	}
}

// endWait ends the task's suspension with err, if the task is still
// suspended: awaiting a future that is pending, or sleeping.
func (t *task) endWait(err error) {
	l := t.loop()
	switch {
	case t.waitingOn != nil && t.waitingOn.removeWaker(t):
	case t.sleep.index >= 0:
		l.timers.remove(t.sleep.index)
	default:
		return // woken already: the wait ends as it would have
	}
	t.ctxErr = err
	l.ready.push(t)
}

// takeCtxErr consumes the error a watched ctx ended the suspension with.
func (t *task) takeCtxErr() error {
	if t.ctxErr == nil {
		return nil
	}
	err := t.ctxErr
	t.ctxErr = nil
	return err
}

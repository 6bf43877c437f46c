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
// their ctxs between iterations (as prepare begins the next, before it
// idles or moves a virtual clock), so a cancellation made by a task is
// seen in the iteration that made it and ends the wait for the next one,
// deterministically. For other goroutines, context.AfterFunc
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
	if sc, own := ctx.(*scopeCtx); own && sc.pure {
		return nil, nil
	}
	done := ctx.Done()
	if done == nil || done == t.Done() {
		return nil, nil
	}
	if err := watchErr(ctx); err != nil {
		return nil, err
	}
	l := t.loop()
	dl, hasDeadline := ctx.Deadline()
	var at time.Duration
	if hasDeadline {
		if at = l.deadlineAt(dl); at <= l.Time() {
			return nil, context.DeadlineExceeded // passed on the loop's clock
		}
	}
	x := t.ctxExtra()
	x.waits++
	seq := x.waits
	end := func(err error) {
		if x.waits == seq {
			t.endWait(err)
		}
	}
	stopWatch := l.watch(ctx, end)
	var th *TimerHandle
	if hasDeadline {
		th = l.CallAt(at, func() { end(context.DeadlineExceeded) })
	}
	return func() {
		x.waits++ // a callback that comes late finds another wait, or none
		stopWatch()
		if th != nil {
			th.Cancel()
		}
	}, nil
}

// waitCtx is wait bounded by ctx too: it also returns ctx's error when ctx
// is done first.
func (t *task) waitCtx(ctx context.Context, fb *futureBase, kind awaitKind) error {
	stop, err := t.watchCtx(ctx)
	if stop != nil {
		defer stop() // also when the task is unwound while it waits
	}
	if err != nil {
		return err
	}
	return t.wait(fb, kind)
}

// watchErr is ctx's Err, but for the ctx of a Timeout or TaskGroup made
// under a ctx of another kind it also looks at that ctx: the scope learns
// that its parent is done through a goroutine, which may not have run yet
// when a task of the loop cancelled the parent.
func watchErr(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		sc, ok := ctx.(*scopeCtx)
		if !ok {
			return nil
		}
		ctx = sc.Context
	}
}

// deadlineAt returns the loop time of the wall-clock deadline dl, rounded
// up to the millisecond. A virtual clock does not move with the wall clock,
// so it maps each deadline once, when it first sees it, which is as a rule
// in the task step that made the ctx: later waits on that ctx, or on ctxs
// derived from it, then end at the same loop time however far the clock
// has jumped meanwhile. Deadlines past on the wall clock are forgotten.
//
// The wall clock moves on between the ctx's making and this first look,
// by more than a millisecond on a busy machine, which would bring the
// deadline forward. context.WithDeadline asks its parent's Deadline as it
// makes the ctx, and a task's ctx notes when (noteDeadlineAsk): if the
// virtual clock has not moved since, the deadline counts from that moment
// instead of from now.
func (l *Loop) deadlineAt(dl time.Time) time.Duration {
	round := func(d time.Duration) time.Duration { return (d + time.Millisecond - 1).Truncate(time.Millisecond) }
	if !l.virtual {
		return l.after(round(time.Until(dl)))
	}
	key := dl.UnixNano()
	if at, ok := l.deadlines[key]; ok {
		return at
	}
	if l.deadlines == nil {
		l.deadlines = make(map[int64]time.Duration)
	}
	wall := time.Now().UnixNano()
	for k := range l.deadlines {
		if k < wall {
			delete(l.deadlines, k)
		}
	}
	from := time.Unix(0, wall)
	if l.askAt.Load() == int64(l.Time()) {
		if asked := l.askWall.Load(); asked != 0 && asked < wall {
			from = time.Unix(0, asked)
		}
	}
	at := l.after(round(dl.Sub(from)))
	l.deadlines[key] = at
	return at
}

// noteDeadlineAsk records, under a virtual clock, when a ctx derived from a
// task's asked for its Deadline, on the wall and the loop's clock. It may
// be called from any goroutine.
func (l *Loop) noteDeadlineAsk() {
	l.askAt.Store(int64(l.Time()))
	l.askWall.Store(time.Now().UnixNano())
}

// A ctxWatch is a ctx the loop watches, and what to do once it is done.
type ctxWatch struct {
	ctx context.Context
	end func(err error)
}

// watch calls end on the loop once ctx is done: as an iteration begins, if
// a task of the loop cancelled it, or once the goroutine that
// context.AfterFunc starts for another goroutine's cancellation has woken
// the loop. end may be called more than once; stop ends the watch.
func (l *Loop) watch(ctx context.Context, end func(error)) (stop func()) {
	node := l.watched.PushBack(ctxWatch{ctx, end})
	stopCtx := context.AfterFunc(ctx, func() {
		l.CallSoonThreadsafe(func() { end(watchErr(ctx)) }) // fails only once the loop is closed
	})
	return func() {
		l.watched.Remove(node)
		stopCtx()
	}
}

// endDoneWatches calls the end of each watch whose ctx is done, in the
// order the watches began; an end may stop its own watch.
func (l *Loop) endDoneWatches() {
	for n := l.watched.Front(); n != nil; {
		next := n.Next()
		if err := watchErr(n.Value.ctx); err != nil {
			n.Value.end(err)
		}
		n = next
	}
}

// endWait ends the task's suspension with err, if the task is still
// suspended: awaiting a future that is pending, or sleeping.
func (t *task) endWait(err error) {
	l := t.loop()
	switch {
	case t.waitingOn != nil && t.waitingOn.futBase().removeWaker(t):
	case t.sleep.index >= 0:
		l.timers.remove(t.sleep.index)
	default:
		return // woken already: the wait ends as it would have
	}
	t.ctxExtra().ctxErr = err
	l.ready.Push(t)
}

// takeCtxErr consumes the error a watched ctx ended the suspension with.
func (t *task) takeCtxErr() error {
	x := t.extra.Load()
	if x == nil || x.ctxErr == nil {
		return nil
	}
	err := x.ctxErr
	x.ctxErr = nil
	return err
}

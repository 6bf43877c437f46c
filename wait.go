package asyncio

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/goasyncio/asyncio/internal/ring"
)

// ReturnWhen says when Wait returns.
type ReturnWhen int

const (
	// FirstCompleted: as soon as any of the waiters is done.
	FirstCompleted ReturnWhen = iota + 1
	// FirstException: as soon as any waiter finishes with an error (a
	// cancelled one does not count), or when all are done.
	FirstException
	// AllCompleted: when all waiters are done.
	AllCompleted
)

// String returns the constant's name, such as "FirstCompleted".
func (w ReturnWhen) String() string {
	switch w {
	case FirstCompleted:
		return "FirstCompleted"
	case FirstException:
		return "FirstException"
	case AllCompleted:
		return "AllCompleted"
	}
	return fmt.Sprintf("ReturnWhen(%d)", int(w))
}

// Wait suspends the task that owns ctx until the waiters in ws satisfy when,
// or until timeout passes (timeout <= 0 means no timeout), and returns them
// split into done and pending, each in the order of ws; a waiter listed
// more than once is in them once, where it first appears. It neither cancels
// the pending ones on timeout nor looks at results: call Result on the done
// ones. With no waiters it returns at once.
//
// If the task is interrupted (see Cancellation in the package doc), Wait
// returns the split as it stands and an error matching ErrCancelled; the
// waiters are not cancelled. A when that is not one of the ReturnWhen
// constants is misuse, and Wait panics, naming it, as futures.Wait does; it
// also panics as Await does when ctx does not belong to the running task,
// and when a waiter belongs to another loop.
func Wait(ctx context.Context, ws []Waiter, when ReturnWhen, timeout time.Duration) (done, pending []Waiter, err error) {
	t := runningTask(ctx, "Wait")
	if when < FirstCompleted || when > AllCompleted {
		panic(fmt.Sprintf("asyncio: Wait with an unknown ReturnWhen %d; use FirstCompleted, FirstException or AllCompleted", int(when)))
	}
	w := &waitState{when: when, outer: futureBase{l: t.loop()}}
	ws = distinct(t, ws, "Wait")
	for _, x := range ws {
		fb := x.futBase()
		switch {
		case fb.state == statePending:
			w.pending++
		case when == FirstCompleted, when == FirstException && fb.failed():
			w.satisfied = true
		}
	}
	if !w.satisfied && w.pending > 0 {
		stop, werr := t.watchCtx(ctx)
		if stop != nil {
			defer stop() // also when the task is unwound while it waits
		}
		if werr == nil {
			werr = w.wait(t, ws, timeout)
		}
		err = werr
	}
	for _, x := range ws {
		if x.Done() {
			done = append(done, x)
		} else {
			pending = append(pending, x)
		}
	}
	return done, pending, err
}

// distinct returns ws with each waiter once, in the order in which they
// first appear, as asyncio.wait takes a set: a waiter listed twice is still
// one waiter, done or pending once. It returns ws itself when nothing
// repeats, and panics as baseOf does.
func distinct(t *task, ws []Waiter, op string) []Waiter {
	var seen map[*futureBase]bool
	if len(ws) > 8 { // past a few, looking back costs more than a map
		seen = make(map[*futureBase]bool, len(ws))
	}
	var out []Waiter // nil until a repeat is found
	for i, x := range ws {
		fb := baseOf(t, x, op)
		repeat := false
		if seen != nil {
			repeat, seen[fb] = seen[fb], true
		} else {
			for _, y := range ws[:i] {
				repeat = repeat || y.futBase() == fb
			}
		}
		switch {
		case repeat && out == nil:
			out = append(make([]Waiter, 0, len(ws)-1), ws[:i]...)
		case !repeat && out != nil:
			out = append(out, x)
		}
	}
	if out == nil {
		return ws
	}
	return out
}

// A waitState is Wait's waker: it counts completions and completes outer,
// which the task awaits, when the condition holds.
type waitState struct {
	outer     futureBase
	when      ReturnWhen
	pending   int
	satisfied bool
}

func (w *waitState) wake(fb *futureBase) {
	w.pending--
	if w.when == FirstCompleted || w.pending == 0 || (w.when == FirstException && fb.failed()) {
		w.outer.signal()
	}
}

func (w *waitState) wait(t *task, ws []Waiter, timeout time.Duration) error {
	for _, x := range ws {
		if fb := x.futBase(); fb.state == statePending {
			fb.addWaker(w)
		}
	}
	var th *TimerHandle
	if timeout > 0 {
		th = t.loop().CallLater(timeout, w.outer.signal)
	}
	err := t.wait(&w.outer, awaitWait)
	if th != nil {
		th.Cancel()
	}
	for _, x := range ws {
		if fb := x.futBase(); fb.state == statePending {
			fb.removeWaker(w)
		}
	}
	return err
}

// Gather waits until every awaitable in aws is done and returns their values
// in the order of aws: the Go form of asyncio.gather for awaitables of one
// result type. If one of them fails or is cancelled, Gather returns its
// error as soon as that happens and leaves the others running. With no
// awaitables it returns at once.
//
// If the task calling Gather is interrupted, Gather cancels every awaitable
// still pending, waits until they are done, and returns an error matching
// ErrCancelled. If a ctx derived from the task's is done first, Gather
// returns its error and, as Await does, leaves the awaitables running. Gather panics as Await does when ctx does not belong to the
// running task, or when an awaitable belongs to another loop.
func Gather[T any](ctx context.Context, aws ...Awaitable[T]) ([]T, error) {
	t := runningTask(ctx, "Gather")
	if err := gather(t, ctx, aws, true); err != nil {
		return nil, err
	}
	results := make([]T, len(aws))
	for i, aw := range aws {
		v, err := aw.Result()
		if err != nil {
			return nil, err
		}
		results[i] = v
	}
	return results, nil
}

// GatherReturnErrors is Gather that collects errors instead of failing at
// the first: it waits until every awaitable is done and returns values[i]
// and errs[i] for aws[i], the Go form of gather(return_exceptions=True). err
// is non-nil (matching ErrCancelled) only when the calling task is
// cancelled; then the pending awaitables are cancelled and waited for, and
// values and errs are still filled in. If a ctx derived from the task's is
// done first, err is that ctx's error, and the awaitables still pending go
// on running, their errs matching ErrInvalidState.
func GatherReturnErrors[T any](ctx context.Context, aws ...Awaitable[T]) (values []T, errs []error, err error) {
	t := runningTask(ctx, "GatherReturnErrors")
	err = gather(t, ctx, aws, false)
	values = make([]T, len(aws))
	errs = make([]error, len(aws))
	for i, aw := range aws {
		values[i], errs[i] = aw.Result()
	}
	return values, errs, err
}

// A gatherState is Gather's waker: it counts completions, remembers the
// first error, and completes outer, which the task awaits.
type gatherState struct {
	outer     futureBase
	pending   int
	stopOnErr bool
	firstErr  error
}

func (g *gatherState) wake(fb *futureBase) {
	g.pending--
	err := fb.outcome()
	if err != nil {
		fb.markRetrieved() // Gather reports it, or was told to collect it
	}
	if err != nil && g.stopOnErr && g.firstErr == nil {
		g.firstErr = err
		g.outer.signal()
	}
	if g.pending == 0 {
		g.outer.signal()
	}
}

// gather waits for aws as Gather and GatherReturnErrors do. With stopOnErr
// it returns the first error to happen.
func gather[T any](t *task, ctx context.Context, aws []Awaitable[T], stopOnErr bool) error {
	g := &gatherState{outer: futureBase{l: t.loop()}, stopOnErr: stopOnErr}
	for _, aw := range aws {
		fb := baseOf(t, aw, "Gather")
		if fb.state == statePending {
			g.pending++
			fb.addWaker(g)
		} else if err := fb.outcome(); err != nil {
			fb.markRetrieved()
			if stopOnErr && g.firstErr == nil {
				g.firstErr = err
			}
		}
	}
	if g.firstErr != nil || g.pending == 0 {
		return g.firstErr
	}
	if err := t.waitCtx(ctx, &g.outer, awaitGather); err != nil {
		if !errors.Is(err, ErrCancelled) {
			// A ctx's end: the awaitables go on, as after Await's.
			for _, aw := range aws {
				if fb := aw.futBase(); fb.state == statePending {
					fb.removeWaker(g)
				}
			}
			return err
		}
		cancelAll(g, t, aws)
		return err
	}
	return g.firstErr
}

// cancelAll cancels the pending awaitables of a cancelled Gather and waits
// until they are done, unless the task is cancelled once more.
func cancelAll[T any](g *gatherState, t *task, aws []Awaitable[T]) {
	for _, aw := range aws {
		if fb := aw.futBase(); fb.state == statePending {
			aw.cancelWith(t.cause())
		}
	}
	if g.pending == 0 {
		return
	}
	g.outer = futureBase{l: t.loop()}
	g.stopOnErr = false
	t.waitKind = awaitGather
	_ = t.await(&g.outer, &g.outer) // woken early means interrupted again: stop waiting
}

// WaitFor awaits aw for at most d, and returns its result. If d passes
// first, WaitFor cancels aw, waits until it is done, and returns an error
// matching ErrTimeout, unless aw ended with a result after all. A d <= 0
// times out at once unless aw is already done.
//
// If the calling task is interrupted, aw is cancelled too and WaitFor returns
// an error matching ErrCancelled once aw is done. WaitFor panics as Await
// does when ctx does not belong to the running task.
func WaitFor[T any](ctx context.Context, aw Awaitable[T], d time.Duration) (T, error) {
	t := runningTask(ctx, "WaitFor")
	fb := baseOf(t, aw, "WaitFor")
	if fb.state != statePending {
		return aw.Result()
	}
	timedOut := false
	expire := func() {
		// The timer and aw's completion race only in name: both run on
		// the loop, and a done aw is left alone.
		if fb.state == statePending {
			timedOut = aw.cancelWith(nil)
		}
	}
	var th *TimerHandle
	if d <= 0 {
		expire()
	} else {
		th = t.loop().CallLater(d, expire)
	}
	before := t.interrupts
	var err error
	if fb.state == statePending {
		var stop func()
		stop, err = t.watchCtx(ctx)
		if stop != nil {
			defer stop() // also when the task is unwound while it waits
		}
		if err == nil {
			err = t.await(aw, fb)
		}
	}
	if th != nil {
		th.Cancel()
	}
	v, rerr := aw.Result()
	switch {
	case err != nil:
		var zero T
		return zero, err
	case timedOut && fb.state == stateCancelled && t.interrupts == before:
		var zero T
		return zero, ErrTimeout
	}
	return v, rerr
}

// baseOf returns the futureBase of w after checking that t may wait for it.
func baseOf(t *task, w Waiter, op string) *futureBase {
	var fb *futureBase
	if w != nil {
		fb = w.futBase()
	}
	checkFuture(t, fb, op)
	return fb
}

// checkFuture panics, naming the misuse, unless t may wait for fb.
func checkFuture(t *task, fb *futureBase, op string) {
	switch {
	case fb == nil:
		panic("asyncio: " + op + " of a nil future or task")
	case fb.l == nil:
		panic("asyncio: " + op + " of a zero Future; make futures with CreateFuture")
	case fb.l != t.loop():
		panic(fmt.Sprintf("asyncio: %s: task %s waits for a future of another loop", op, t.Name()))
	}
}

// AsCompleted returns an iterator over aws in the order they complete, the
// counterpart of asyncio.as_completed: each step suspends the task that owns
// ctx until the next awaitable is done, and yields it; its Result does not
// block. Awaitables already done come first, in the order of aws.
//
// Iteration stops early, without cancelling the awaitables left, when the
// loop body breaks, when the task is interrupted (see Cancellation in the
// package doc), or when a ctx derived from the task's is done; after an
// interruption the task's next wait returns ErrCancelled. AsCompletedTimeout
// is the form that reports why it stopped. Each iteration panics as Await
// does when ctx does not belong to the running task.
func AsCompleted[T any](ctx context.Context, aws ...Awaitable[T]) iter.Seq[Awaitable[T]] {
	return func(yield func(Awaitable[T]) bool) {
		t := runningTask(ctx, "AsCompleted")
		asCompleted(t, ctx, 0, aws, func(aw Awaitable[T], err error) bool {
			if errors.Is(err, ErrCancelled) { // an interruption, not a ctx's end
				t.mustCancel = true // not lost: the task's next await ends with it
			}
			return err == nil && yield(aw)
		})
	}
}

// AsCompletedTimeout is AsCompleted with a deadline d from now on the
// loop's clock (d <= 0: none) that reports why it stops: the counterpart of
// asyncio.as_completed(aws, timeout=d). It yields each awaitable with a nil
// error as it completes; if the deadline passes first, it yields the ones
// that completed before it, then (nil, ErrTimeout), and stops. If the task
// is interrupted it yields (nil, an error matching ErrCancelled), and if a
// ctx derived from the task's is done, (nil, that ctx's error). The
// awaitables left are not cancelled. Each iteration panics as Await does
// when ctx does not belong to the running task.
func AsCompletedTimeout[T any](ctx context.Context, d time.Duration, aws ...Awaitable[T]) iter.Seq2[Awaitable[T], error] {
	return func(yield func(Awaitable[T], error) bool) {
		asCompleted(runningTask(ctx, "AsCompletedTimeout"), ctx, d, aws, yield)
	}
}

// asCompleted yields aws as they complete, then, if it stops before they
// all have, the reason once.
func asCompleted[T any](t *task, ctx context.Context, d time.Duration, aws []Awaitable[T], yield func(Awaitable[T], error) bool) {
	c := &completions{outer: futureBase{l: t.loop()}}
	byBase := make(map[*futureBase]Awaitable[T], len(aws))
	for _, aw := range aws {
		fb := baseOf(t, aw, "AsCompleted")
		if _, repeat := byBase[fb]; repeat {
			continue // yielded once, as asyncio.as_completed does
		}
		byBase[fb] = aw
		if fb.state == statePending {
			fb.addWaker(c)
			c.pending++
		} else {
			c.done.Push(fb)
		}
	}
	stopWaking := func() {
		for fb := range byBase {
			if fb.state == statePending {
				fb.removeWaker(c)
			}
		}
		c.pending = 0
	}
	defer stopWaking()
	timedOut := false
	if d > 0 && c.pending > 0 {
		// What completed before the deadline is still yielded, and
		// nothing after it, as in asyncio.
		th := t.loop().CallLater(d, func() {
			timedOut = true
			stopWaking()
			c.outer.signal()
		})
		defer th.Cancel()
	}
	for c.done.Len() > 0 || c.pending > 0 {
		if c.done.Len() == 0 {
			c.outer = futureBase{l: t.loop()}
			if err := t.waitCtx(ctx, &c.outer, awaitAsCompleted); err != nil {
				yield(nil, err)
				return
			}
			continue
		}
		if !yield(byBase[c.done.Pop()], nil) {
			return
		}
	}
	if timedOut {
		yield(nil, ErrTimeout)
	}
}

// completions is AsCompleted's waker: it queues the futures in the order
// they complete and wakes the iterating task.
type completions struct {
	outer   futureBase
	done    ring.Ring[*futureBase]
	pending int
}

func (c *completions) wake(fb *futureBase) {
	c.pending--
	c.done.Push(fb)
	c.outer.signal()
}

// Shield returns a future that completes as aw does, but whose cancellation
// does not reach aw: the counterpart of asyncio.shield. A task that awaits
// the shield and is cancelled stops waiting, while aw goes on. If aw is
// cancelled, so is the shield. Shield panics as Await does when ctx does not
// belong to the running task.
func Shield[T any](ctx context.Context, aw Awaitable[T]) *Future[T] {
	t := runningTask(ctx, "Shield")
	fb := baseOf(t, aw, "Shield")
	outer := CreateFuture[T](ctx)
	s := &shield[T]{outer: outer, inner: aw}
	if fb.state != statePending {
		s.wake(fb)
	} else {
		fb.addWaker(s)
	}
	return outer
}

// A shield copies the outcome of its inner awaitable to its outer future.
type shield[T any] struct {
	outer *Future[T]
	inner Awaitable[T]
}

func (s *shield[T]) wake(fb *futureBase) {
	if s.outer.Done() {
		fb.markRetrieved() // the shield was cancelled; no one else will look
		return
	}
	v, err := s.inner.Result()
	switch {
	case fb.state == stateCancelled:
		s.outer.Cancel()
	case err != nil:
		s.outer.SetException(err)
	default:
		s.outer.SetResult(v)
	}
}

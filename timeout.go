package asyncio

import (
	"context"
	"sync/atomic"
	"time"
)

type timeoutState uint8

const (
	timeoutActive  timeoutState = iota // fn runs, the deadline is armed
	timeoutExpired                     // the deadline passed and fn was interrupted
	timeoutExited                      // fn returned
)

// A TimeoutScope is the deadline of a call to Timeout or TimeoutAt, which
// the code inside can read and move; TimeoutOf finds it. Its methods must be
// called on the loop's goroutine.
type TimeoutScope struct {
	_     noCopy
	t     *task
	when  time.Duration
	timer interface{ Cancel() } // the *Handle or *TimerHandle of expire
	// deadline is when, on the wall clock, in Unix nanoseconds, or 0 for
	// never: what the ctx's Deadline reports, to any goroutine.
	deadline atomic.Int64
	state    timeoutState
	ctx      *scopeCtx
}

type timeoutKey struct{}

// Timeout runs fn in the calling task with a deadline d from now on the
// loop's clock, the counterpart of `async with asyncio.timeout(d)`. If the
// deadline passes while fn runs, the task is interrupted as by Cancel, but
// only inside fn: its pending Await or Sleep returns ErrCancelled, and the
// ctx given to fn is done with context.DeadlineExceeded, while the task's own
// ctx is left alone. A d <= 0 expires at the first await; a d that reaches
// past the end of the loop's clock, such as time.Duration(math.MaxInt64),
// never expires.
//
// Once the deadline has interrupted fn, Timeout does not report success: if
// fn returns nil or an error matching ErrCancelled, Timeout returns
// ErrTimeout, so a body that swallows its interruption cannot turn a timeout
// into a result; if fn returns another error, Timeout returns that. A fn
// that returns before it waits again after the deadline, its work done, was
// not interrupted, and Timeout returns what it returned.
//
// If the task is cancelled from outside meanwhile, Timeout returns fn's
// error (ErrCancelled), not ErrTimeout. Timeouts nest; the inner one that
// expires is the one that reports ErrTimeout. Timeout panics as Await does
// when ctx does not belong to the running task. TimeoutValue is the form for
// a function that returns a value.
func Timeout(ctx context.Context, d time.Duration, fn func(ctx context.Context) error) error {
	t := runningTask(ctx, "Timeout")
	return runTimeout(ctx, t, t.loop().after(d), fn)
}

// TimeoutValue is Timeout for a function that returns a value, the form of
// `async with asyncio.timeout(d): v = await f()` that needs no variable
// captured from outside. It returns fn's value and Timeout's error: when
// that is ErrTimeout, the value is whatever fn returned, most often the
// zero value, and is not a result.
func TimeoutValue[T any](ctx context.Context, d time.Duration, fn func(ctx context.Context) (T, error)) (T, error) {
	t := runningTask(ctx, "TimeoutValue")
	var v T
	err := runTimeout(ctx, t, t.loop().after(d), func(ctx context.Context) error {
		var err error
		v, err = fn(ctx)
		return err
	})
	return v, err
}

// TimeoutAt is Timeout with a deadline given as a loop time (see Loop.Time).
func TimeoutAt(ctx context.Context, when time.Duration, fn func(ctx context.Context) error) error {
	return runTimeout(ctx, runningTask(ctx, "TimeoutAt"), when, fn)
}

// TimeoutOf returns the scope of the innermost Timeout or TimeoutAt that
// ctx was made by, or nil.
func TimeoutOf(ctx context.Context) *TimeoutScope {
	s, _ := ctx.Value(timeoutKey{}).(*TimeoutScope)
	return s
}

func runTimeout(ctx context.Context, t *task, when time.Duration, fn func(ctx context.Context) error) (err error) {
	s := &TimeoutScope{t: t}
	s.ctx = newScopeCtx(ctx, timeoutKey{}, s)
	outside := t.requests
	s.arm(when)
	defer func() { // also when fn panics
		s.exit()
		if s.state != timeoutExpired {
			return
		}
		// The deadline interrupted fn: take that back. If no other
		// interruption came meanwhile, fn's cancellation was ours, and so is
		// a nil from a fn that saw the interruption and swallowed it. A fn
		// that never saw it (the request is still undelivered) finished its
		// work in time; uncancel drops the request.
		seen := !t.mustCancel
		if t.uncancel() <= outside && (err == nil && seen || err != nil && isCancellation(err)) {
			err = ErrTimeout
		}
	}()
	return fn(s.ctx)
}

// arm sets the deadline. One already past expires the scope in a callback
// scheduled now, which runs before the task's next step, so that the first
// await inside fn, even Sleep(ctx, 0), ends with the interruption.
func (s *TimeoutScope) arm(when time.Duration) {
	s.when = when
	l := s.t.loop()
	if left := when - l.Time(); when >= never || left > farAway {
		s.deadline.Store(0) // past what a wall-clock time in Unix nanoseconds holds
	} else {
		s.deadline.Store(time.Now().Add(left).UnixNano())
	}
	if when <= l.Time() {
		s.timer = l.CallSoon(s.expire)
		return
	}
	s.timer = l.CallAt(when, s.expire)
}

// farAway is further than a deadline is worth reporting to Go code.
const farAway = 100 * 365 * 24 * time.Hour

// expire interrupts the task if it is still inside fn.
func (s *TimeoutScope) expire() {
	if s.state != timeoutActive {
		return
	}
	s.state = timeoutExpired
	s.ctx.cancel(context.DeadlineExceeded)
	s.t.interrupt(nil)
}

func (s *TimeoutScope) exit() {
	s.timer.Cancel()
	if s.state == timeoutActive {
		s.state = timeoutExited
	}
	s.ctx.cancel(context.Canceled)
}

// When returns the deadline as a loop time.
func (s *TimeoutScope) When() time.Duration { return s.when }

// Expired reports whether the deadline passed while fn ran.
func (s *TimeoutScope) Expired() bool { return s.state == timeoutExpired }

// Reschedule moves the deadline to loop time when; a time already past
// expires the scope before the task's next step. A when of
// time.Duration(math.MaxInt64) is past the end of the clock: the scope then
// never expires, as asyncio's reschedule(None). Reschedule panics once the
// scope has expired or its function has returned.
func (s *TimeoutScope) Reschedule(when time.Duration) {
	switch s.state {
	case timeoutExpired:
		panic("asyncio: Reschedule of a timeout that has expired")
	case timeoutExited:
		panic("asyncio: Reschedule of a timeout whose function has returned")
	}
	s.timer.Cancel()
	s.arm(when)
}

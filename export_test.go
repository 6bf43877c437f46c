package asyncio

import (
	"context"
	"time"
)

// White-box hooks for the tests of package asyncio_test.

// HoldClock counts one piece of executor work in flight until the returned
// function is called on the loop, as the executor bridge does.
func (l *Loop) HoldClock() (release func()) {
	l.addExternal()
	return l.doneExternal
}

// IdleCoros returns how many finished tasks' coroutines the loop keeps.
func (l *Loop) IdleCoros() int { return len(l.idleCoros) }

// IdleCorosCap returns the capacity of the slice that keeps them.
func (l *Loop) IdleCorosCap() int { return cap(l.idleCoros) }

// Compact gives back memory as an idle loop does, until there is nothing
// left to give back.
func (l *Loop) Compact() {
	for l.compact() {
	}
}

// FailuresKept returns how many failed futures the loop tracks, to report
// the unretrieved ones.
func (l *Loop) FailuresKept() int { return len(l.unretrieved) }

// Buffers returns the capacities of the ready queue and the timer heap.
func (l *Loop) Buffers() (ready, timers int) { return l.ready.Cap(), cap(l.timers) }

// BlockOnce waits once as an idle loop does.
func (l *Loop) BlockOnce() { l.block(new(idleWait)) }

// AfterFuncs returns how many functions are registered with AfterFunc on
// the task of ctx and not yet called or unregistered.
func AfterFuncs(ctx context.Context) int {
	x := taskOf(ctx).extra.Load()
	if x == nil {
		return 0
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.afters)
}

// NextWake returns how long an idle loop that has just begun to wait would
// block: forever, or for wait.
func (l *Loop) NextWake() (forever bool, wait time.Duration) {
	return l.nextWake(&idleWait{since: time.Now()})
}

// Wakers returns how many wakers wait for w to complete.
func Wakers(w Waiter) int {
	fb := w.futBase()
	n := 0
	if fb.waiter != nil {
		n++
	}
	if fb.more != nil {
		n += len(*fb.more)
	}
	return n
}

// Watched returns how many waits bounded by a ctx the loop watches.
func (l *Loop) Watched() int { return l.watched.Len() }

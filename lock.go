package asyncio

import "context"

// A Lock is a mutual exclusion lock for tasks of one loop, the counterpart
// of asyncio.Lock. A task that holds it may await while holding it; other
// tasks that Acquire it wait, and get it in the order they asked for it:
// Release hands the lock straight to the first waiter, so a task that calls
// Acquire later cannot barge ahead.
//
// The zero Lock is unlocked and ready to use. A Lock belongs to the loop of
// the first task that uses it; its methods must be called on that loop's
// goroutine. A Lock must not be copied.
type Lock struct {
	_       noCopy
	locked  bool
	waiters waitList
}

// Acquire locks l, waiting until it is free. It returns ErrCancelled if the
// task is cancelled while it waits; it then does not hold the lock. Acquire
// panics as Await does when ctx does not belong to the running task.
func (l *Lock) Acquire(ctx context.Context) error {
	l.waiters.check(ctx, "Lock.Acquire")
	if !l.locked && !l.waiters.queued() {
		l.locked = true
		return nil
	}
	r, err := l.waiters.wait(ctx, awaitLock)
	if err != nil {
		// Cancelled. If Release had already handed us the lock, pass it on;
		// if not and the lock is free, a waiter that queued behind us while
		// we were leaving must not be left waiting.
		if r == wakeGranted || !l.locked {
			l.handOff()
		}
		return err
	}
	return nil // Release handed the lock over: l.locked stayed true
}

// AcquireNowait locks l if it is free and no task waits for it, and returns
// ErrWouldBlock otherwise.
func (l *Lock) AcquireNowait() error {
	if l.locked || l.waiters.waiting() {
		return ErrWouldBlock
	}
	l.locked = true
	return nil
}

// TryAcquire is AcquireNowait in the spelling of sync.Mutex.TryLock: it
// locks l if it is free and no task waits for it, and reports whether it
// did.
func (l *Lock) TryAcquire() bool { return l.AcquireNowait() == nil }

// Release unlocks l, handing it to the first waiting task if there is one.
// Any task may release the lock, as in asyncio. Release of an unlocked Lock
// panics.
func (l *Lock) Release() {
	if !l.locked {
		panic("asyncio: Release of an unlocked Lock")
	}
	l.handOff()
}

// handOff gives the lock to the first waiter, or leaves it unlocked.
func (l *Lock) handOff() {
	l.locked = l.waiters.wakeFirst(wakeGranted)
}

// Locked reports whether some task holds the lock.
func (l *Lock) Locked() bool { return l.locked }

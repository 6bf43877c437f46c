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

// An Event lets tasks wait until something happens: Wait blocks until Set
// is called, and returns at once while the event is set. The counterpart of
// asyncio.Event.
//
// The zero Event is not set and ready to use. An Event belongs to the loop of
// the first task that uses it; its methods must be called on that loop's
// goroutine. An Event must not be copied.
type Event struct {
	_       noCopy
	set     bool
	waiters waitList
}

// Wait blocks until the event is set, and returns at once if it is. It
// returns ErrCancelled if the task is cancelled first. Wait panics as Await
// does when ctx does not belong to the running task.
func (e *Event) Wait(ctx context.Context) error {
	e.waiters.check(ctx, "Event.Wait")
	if e.set {
		return nil
	}
	_, err := e.waiters.wait(ctx, awaitEvent)
	return err
}

// Set sets the event and wakes every task waiting for it, in the order they
// began to wait. Setting a set event does nothing.
func (e *Event) Set() {
	if !e.set {
		e.set = true
		e.waiters.wakeAll(wakeRecheck)
	}
}

// Clear unsets the event, so that Wait blocks again.
func (e *Event) Clear() { e.set = false }

// IsSet reports whether the event is set.
func (e *Event) IsSet() bool { return e.set }

// A Condition lets tasks wait, holding a lock, until another task notifies
// them that some state changed: the counterpart of asyncio.Condition, and of
// sync.Cond for tasks. Notify wakes waiters in the order they began to wait.
//
// L is the lock the condition is tied to; the zero Condition uses a lock of
// its own. A Condition belongs to the loop of the first task that uses it;
// its methods must be called on that loop's goroutine. A Condition must not
// be copied.
type Condition struct {
	_ noCopy
	// L is held while the state is read or changed; nil means a lock owned
	// by the Condition.
	L       *Lock
	own     Lock
	waiters waitList
}

// NewCondition returns a Condition tied to l, or to a new lock if l is nil.
func NewCondition(l *Lock) *Condition {
	return &Condition{L: l}
}

func (c *Condition) lock() *Lock {
	if c.L == nil {
		c.L = &c.own
	}
	return c.L
}

// Acquire acquires the condition's lock.
func (c *Condition) Acquire(ctx context.Context) error { return c.lock().Acquire(ctx) }

// Release releases the condition's lock.
func (c *Condition) Release() { c.lock().Release() }

// Locked reports whether the condition's lock is held.
func (c *Condition) Locked() bool { return c.lock().Locked() }

// Wait releases the lock, waits until Notify or NotifyAll wakes the task, and
// acquires the lock again before it returns, even when the task is
// cancelled meanwhile; it then returns ErrCancelled. A task that returns
// ErrCancelled wakes the next waiter, as asyncio's does: it may have been
// notified, while it waited or while it took the lock again, and the
// notification must not be lost; the next waiter may then find nothing to
// do, a spurious wake-up that callers of Wait must expect anyway. The lock
// must be held; Wait without it panics.
func (c *Condition) Wait(ctx context.Context) error {
	l := c.lock()
	c.waiters.check(ctx, "Condition.Wait")
	if !l.locked {
		panic("asyncio: Condition.Wait without holding the lock")
	}
	l.Release()
	_, err := c.waiters.wait(ctx, awaitCondition)
	for {
		aerr := l.Acquire(ctx)
		if aerr == nil {
			break
		}
		err = aerr // cancelled while re-acquiring: the lock is still owed
	}
	if err != nil {
		// We may have been notified, before or while we were cancelled,
		// and will not act on it: pass it on, as asyncio does, at the
		// risk of a spurious wake-up, which the protocol allows.
		c.waiters.wakeFirst(wakeGranted)
	}
	return err
}

// WaitFor waits, as Wait does, until pred returns true, and returns the
// first error of Wait. pred is called with the lock held.
func (c *Condition) WaitFor(ctx context.Context, pred func() bool) error {
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Notify wakes up to n tasks waiting on the condition, the longest waiting
// first. The lock must be held; Notify without it panics.
func (c *Condition) Notify(n int) {
	if !c.lock().locked {
		panic("asyncio: Condition.Notify without holding the lock")
	}
	for ; n > 0 && c.waiters.wakeFirst(wakeGranted); n-- {
	}
}

// NotifyAll wakes every task waiting on the condition. The lock must be
// held; NotifyAll without it panics.
func (c *Condition) NotifyAll() {
	if !c.lock().locked {
		panic("asyncio: Condition.NotifyAll without holding the lock")
	}
	c.waiters.wakeAll(wakeGranted)
}

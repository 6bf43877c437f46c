package asyncio

import "context"

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

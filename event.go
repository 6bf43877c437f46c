package asyncio

import "context"

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

package asyncio

import (
	"context"
	"fmt"
)

// A Semaphore holds a number of permits that tasks acquire and release, to
// bound how many do something at once: the counterpart of
// asyncio.Semaphore. Tasks that find no permit wait, and get permits in the
// order they asked: Release hands its permit straight to the first waiter,
// so a later Acquire cannot barge ahead, and a waiter that is cancelled
// after being handed a permit passes it on.
//
// The zero Semaphore has no permits; make one with NewSemaphore. A Semaphore
// belongs to the loop of the first task that uses it; its methods must be
// called on that loop's goroutine. A Semaphore must not be copied.
type Semaphore struct {
	_       noCopy
	value   int // free permits, not counting those handed to waiters
	bound   int // the most permits there may be; 0 for an unbounded Semaphore
	waiters waitList
}

// NewSemaphore returns a semaphore with n permits. It panics if n < 0.
func NewSemaphore(n int) *Semaphore {
	if n < 0 {
		panic(fmt.Sprintf("asyncio: NewSemaphore(%d): the number of permits cannot be negative", n))
	}
	return &Semaphore{value: n}
}

// Acquire takes a permit, waiting until one is free and the tasks that
// asked before have theirs. It returns ErrCancelled
// if the task is cancelled while it waits; it then holds no permit. Acquire
// panics as Await does when ctx does not belong to the running task.
func (s *Semaphore) Acquire(ctx context.Context) error {
	s.waiters.check(ctx, "Semaphore.Acquire")
	if s.value > 0 && !s.waiters.queued() {
		s.value--
		return nil
	}
	r, err := s.waiters.wait(ctx, awaitSemaphore)
	if err != nil && r == wakeGranted {
		s.release() // handed a permit, but cancelled before using it: pass it on
	}
	// Tasks that came while permits were free but others waited queued
	// behind us; let as many go as there are permits.
	for s.value > 0 && s.waiters.wakeFirst(wakeGranted) {
		s.value--
	}
	return err
}

// AcquireNowait takes a permit if one is free and no task is in line, and
// returns ErrWouldBlock otherwise.
func (s *Semaphore) AcquireNowait() error {
	if s.Locked() {
		return ErrWouldBlock
	}
	s.value--
	return nil
}

// TryAcquire is AcquireNowait in the spelling of sync.Mutex.TryLock: it
// takes a permit if one is free and no task is in line, and reports
// whether it did.
func (s *Semaphore) TryAcquire() bool { return s.AcquireNowait() == nil }

// Release returns a permit, handing it to the first waiting task if there
// is one. Releasing more often than acquiring adds permits, as in asyncio,
// except on a BoundedSemaphore.
func (s *Semaphore) Release() {
	if s.bound > 0 && s.value >= s.bound {
		panic(fmt.Sprintf("asyncio: BoundedSemaphore released more often than acquired (it has %d permits)", s.bound))
	}
	s.release()
}

func (s *Semaphore) release() {
	if !s.waiters.wakeFirst(wakeGranted) {
		s.value++
	}
}

// Locked reports whether Acquire would wait: no permit is free, or a task
// is in line for one, waiting or handed one it has not taken yet.
func (s *Semaphore) Locked() bool { return s.value == 0 || s.waiters.queued() }

// Value returns the number of free permits.
func (s *Semaphore) Value() int { return s.value }

// A BoundedSemaphore is a Semaphore whose Release panics when it would hold
// more permits than it started with: releasing more often than acquiring is
// a bug it reports. Make one with NewBoundedSemaphore.
type BoundedSemaphore struct {
	Semaphore
}

// NewBoundedSemaphore returns a bounded semaphore with n permits. It panics
// if n < 1.
func NewBoundedSemaphore(n int) *BoundedSemaphore {
	if n < 1 {
		panic(fmt.Sprintf("asyncio: NewBoundedSemaphore(%d): it needs at least one permit", n))
	}
	return &BoundedSemaphore{Semaphore{value: n, bound: n}}
}

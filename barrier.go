package asyncio

import (
	"context"
	"fmt"
)

type barrierState uint8

const (
	barrierFilling   barrierState = iota // tasks arrive and wait
	barrierDraining                      // the last party came: the waiters leave
	barrierResetting                     // Reset was called while tasks waited
	barrierBroken                        // Abort was called
)

// A Barrier makes a fixed number of tasks (parties) wait for each other: each
// Wait blocks until parties tasks wait, then all of them go on, and the
// barrier can be used again. The counterpart of asyncio.Barrier. Tasks that
// arrive while the previous round is still leaving wait for the next round.
//
// Make a Barrier with NewBarrier. A Barrier belongs to the loop of the first
// task that uses it; its methods must be called on that loop's goroutine. A
// Barrier must not be copied.
type Barrier struct {
	_       noCopy
	cond    Condition
	parties int
	state   barrierState
	count   int // tasks inside Wait
}

// NewBarrier returns a barrier for parties tasks. It panics if parties < 1.
func NewBarrier(parties int) *Barrier {
	if parties < 1 {
		panic(fmt.Sprintf("asyncio: NewBarrier(%d): a barrier needs at least one party", parties))
	}
	return &Barrier{parties: parties}
}

// Wait blocks until parties tasks are waiting, and returns the task's
// arrival index in its round, from 0 to parties-1. It returns
// ErrBrokenBarrier if the barrier is aborted or reset while the task waits,
// or is broken already, and ErrCancelled if the task is cancelled; a
// cancelled task leaves the round without breaking it. Wait panics as Await
// does when ctx does not belong to the running task.
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	if err := b.cond.Acquire(ctx); err != nil {
		return 0, err
	}
	defer b.cond.Release()
	// Wait for the previous round to leave.
	if err := b.cond.WaitFor(ctx, func() bool { return b.state != barrierDraining && b.state != barrierResetting }); err != nil {
		return 0, err
	}
	if b.state == barrierBroken {
		return 0, ErrBrokenBarrier
	}
	index := b.count
	b.count++
	defer b.leave()
	if index+1 == b.parties {
		b.state = barrierDraining
		b.cond.NotifyAll()
		return index, nil
	}
	if err := b.cond.WaitFor(ctx, func() bool { return b.state != barrierFilling }); err != nil {
		return 0, err
	}
	if b.state == barrierBroken || b.state == barrierResetting {
		return 0, ErrBrokenBarrier
	}
	return index, nil
}

// leave counts a task out of Wait; the last one out of a drained or reset
// round opens the barrier for the next.
func (b *Barrier) leave() {
	b.count--
	if b.count == 0 {
		if b.state == barrierDraining || b.state == barrierResetting {
			b.state = barrierFilling
		}
		b.cond.NotifyAll()
	}
}

// Reset returns the barrier to its initial state. Tasks waiting in it get
// ErrBrokenBarrier; a broken barrier can be used again.
func (b *Barrier) Reset() {
	if b.count > 0 {
		b.state = barrierResetting
	} else {
		b.state = barrierFilling
	}
	b.cond.waiters.wakeAll(wakeGranted)
}

// Abort breaks the barrier: waiting tasks, and tasks that call Wait later,
// get ErrBrokenBarrier until Reset.
func (b *Barrier) Abort() {
	b.state = barrierBroken
	b.cond.waiters.wakeAll(wakeGranted)
}

// Parties returns the number of tasks each round needs.
func (b *Barrier) Parties() int { return b.parties }

// Waiting returns the number of tasks waiting for the current round to fill.
func (b *Barrier) Waiting() int {
	if b.state == barrierFilling {
		return b.count
	}
	return 0
}

// Broken reports whether the barrier is aborted.
func (b *Barrier) Broken() bool { return b.state == barrierBroken }

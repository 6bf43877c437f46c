// Package coro runs functions as coroutines on reusable goroutines.
//
// A Coro is one goroutine that its owner drives with explicit switches: Start
// and Resume hand control to the function running on it, Suspend hands it
// back. Exactly one of the two sides runs at any time, so the function may
// touch its owner's data without locks.
//
// The switch is iter.Pull's, which uses the runtime's direct coroutine
// handoff: about 30 ns per switch, where a handoff over unbuffered channels
// costs several times that because it goes through the scheduler's run
// queues. A Coro outlives the function it runs, so a finished Coro can run the
// next function without a new goroutine and a fresh stack.
package coro

import "iter"

// A Coro is a goroutine that runs one function at a time as a coroutine.
//
// Start, Resume and Stop must be called by the owner, never by the function
// running on the Coro, and never concurrently; Suspend must be called only by
// that function. The zero Coro is not usable; make one with New.
type Coro struct {
	next  func() (struct{}, bool)
	stop  func()
	yield func(struct{}) bool

	fn       func(any)
	arg      any
	finished bool
}

// stopped is the panic value Suspend uses to unwind a function whose Coro is
// being stopped.
type stopped struct{}

// Stopped is the value Suspend panics with when the Coro is stopped while the
// function is suspended. The panic unwinds the function so that its deferred
// calls run; code that recovers panics must re-panic this value.
var Stopped any = stopped{}

// New returns a Coro whose goroutine is started but idle.
func New() *Coro {
	c := new(Coro)
	c.next, c.stop = iter.Pull(c.loop)
	return c
}

// loop is the body of the Coro's goroutine: run the function it was given,
// report that it finished, and wait for the next one.
func (c *Coro) loop(yield func(struct{}) bool) {
	c.yield = yield
	defer func() {
		if p := recover(); p != nil && p != Stopped {
			panic(p)
		}
	}()
	// The first switch into the goroutine comes from Start.
	for {
		fn, arg := c.fn, c.arg
		c.fn, c.arg = nil, nil
		fn(arg)
		c.finished = true
		if !yield(struct{}{}) {
			return
		}
	}
}

// Start runs fn(arg) on c until fn calls Suspend or returns, and reports
// whether it returned. c must be new or its previous function must have
// returned. A panic in fn propagates to the caller of Start or Resume, and
// leaves c unusable.
func (c *Coro) Start(fn func(any), arg any) (finished bool) {
	c.fn, c.arg, c.finished = fn, arg, false
	c.next()
	return c.finished
}

// Resume continues the function suspended in Suspend until it suspends again
// or returns, and reports whether it returned.
func (c *Coro) Resume() (finished bool) {
	c.next()
	return c.finished
}

// Suspend hands control back to the caller of Start or Resume and returns
// when Resume is next called. If Stop is called instead, Suspend panics with
// Stopped.
func (c *Coro) Suspend() {
	if !c.yield(struct{}{}) {
		panic(Stopped)
	}
}

// Stop ends c's goroutine. A suspended function is first unwound: its
// Suspend call panics with Stopped, so its deferred calls run. Stop is safe
// to call more than once.
func (c *Coro) Stop() {
	c.stop()
}

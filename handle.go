package asyncio

import (
	"fmt"
	"time"
)

// A runnable is an entry of the loop's ready queue: a callback's Handle, or
// a task, which is its own entry so that stepping it allocates nothing.
type runnable interface {
	run()
}

// A Handle is a callback scheduled by CallSoon or CallSoonThreadsafe. Its
// methods must be called on the loop's goroutine.
type Handle struct {
	_         noCopy
	fn        func()
	loop      *Loop
	cancelled bool
}

// Cancel keeps the callback from running if it has not run yet. Cancelling
// twice, or after the callback ran, does nothing.
func (h *Handle) Cancel() { h.cancelled = true }

// Cancelled reports whether Cancel was called.
func (h *Handle) Cancelled() bool { return h.cancelled }

// String describes the handle, e.g. "<Handle main.tick>".
func (h *Handle) String() string {
	state := ""
	if h.cancelled {
		state = "cancelled "
	}
	return fmt.Sprintf("<Handle %s%s>", state, funcName(funcPC(h.fn)))
}

func (h *Handle) run() {
	if !h.cancelled {
		h.loop.call(h)
	}
}

// A TimerHandle is a callback scheduled by CallLater or CallAt. Its methods
// must be called on the loop's goroutine.
type TimerHandle struct {
	Handle
	t timer
}

// When returns the loop time at which the callback is due.
func (h *TimerHandle) When() time.Duration { return h.t.when }

// Cancel keeps the callback from running and takes it off the loop's timer
// list at once, so that a cancelled timer does not keep the loop waiting.
// Cancelling twice, or after the callback ran, does nothing.
func (h *TimerHandle) Cancel() {
	h.cancelled = true
	if h.t.index >= 0 {
		h.loop.timers.remove(h.t.index)
	}
}

// String describes the handle, e.g. "<TimerHandle when=2s main.tick>".
func (h *TimerHandle) String() string {
	state := ""
	if h.cancelled {
		state = "cancelled "
	}
	return fmt.Sprintf("<TimerHandle %swhen=%v %s>", state, h.t.when, funcName(funcPC(h.fn)))
}

// noCopy may be embedded in structs that must not be copied after first use;
// go vet's copylocks check reports copies.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

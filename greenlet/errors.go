package greenlet

import (
	"errors"
	"fmt"

	"github.com/goasyncio/asyncio/internal/panicerr"
)

// ErrDead is the error that Switch and Throw panic with when the greenlet
// they are called on has died: its run returned or panicked, or it was
// killed. Dead reports this state, so a caller that is unsure checks it
// first.
var ErrDead = errors.New("greenlet: switch to a dead greenlet")

// ErrWrongGoroutine is the error that Switch, Throw and Kill panic with when
// they are called from a goroutine other than the one running the
// greenlet's world: every greenlet is bound to the goroutine that made its
// main greenlet, and only the greenlet running in that world may switch.
var ErrWrongGoroutine = errors.New("greenlet: switch from a goroutine that does not run the greenlet's world")

// ErrKilled is the error Kill throws into a greenlet, and the one Throw
// throws when given nil. A greenlet whose run lets a panic with an error
// matching ErrKilled escape has ended normally, not failed: its parent's
// pending Switch returns that error as a value instead of panicking. It is
// the counterpart of Python's GreenletExit.
var ErrKilled = errors.New("greenlet: killed")

// A PanicError is what the parent's pending Switch (or Throw) panics with
// when a greenlet dies of a panic: run panicked, or let a panic thrown in by
// Throw escape. A PanicError that escapes the next greenlet's run passes on
// unchanged, so the stack is always that of the first panic.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the stack of the greenlet that panicked, as
	// runtime/debug.Stack prints it; for a Throw into a greenlet that had
	// not started, the stack of the caller of Throw.
	Stack []byte
}

// Error returns "greenlet: panic: " and the panic value; the stack is
// printed by the %+v verb.
func (e *PanicError) Error() string {
	return panicerr.Message("greenlet", e.Value)
}

// Unwrap returns the panic value if it is an error, so that errors.Is and
// errors.As see through the panic.
func (e *PanicError) Unwrap() error { return panicerr.Unwrap(e.Value) }

// Format prints the error as Error does, and with the %+v verb adds the
// stack of the panic.
func (e *PanicError) Format(s fmt.State, verb rune) {
	panicerr.Format(s, verb, e.Error(), e.Stack)
}

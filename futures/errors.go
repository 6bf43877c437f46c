package futures

import (
	"context"
	"errors"
	"fmt"

	"github.com/goasyncio/asyncio/futures/internal/remote"
	"github.com/goasyncio/asyncio/internal/errkind"
	"github.com/goasyncio/asyncio/internal/panicerr"
)

// ErrCancelled is the error of a cancelled future: Result returns it after
// Cancel succeeded, or after ShutdownNow cancelled the queued work. It
// matches context.Canceled and asyncio.ErrCancelled under errors.Is.
var ErrCancelled error = errkind.New("futures: cancelled", context.Canceled)

// ErrTimeout is returned by ResultTimeout when the future is not done in
// time. It matches context.DeadlineExceeded and asyncio.ErrTimeout under
// errors.Is.
var ErrTimeout error = errkind.New("futures: timeout", context.DeadlineExceeded)

// ErrShutdown is the error of a future submitted to an executor that is
// shut down: Submit and Call return such a future, already finished, instead
// of panicking.
var ErrShutdown = errors.New("futures: executor is shut down")

// ErrBrokenWorker is matched by the error of a call whose worker process
// died while it ran the call: it exited, crashed or was killed, or it wrote
// into its reply pipe something that is not a reply, upon which the pool
// killed it. The error's text gives the process id, what was wrong with the
// reply if anything, and the exit status. Only that call fails; the pool
// starts a new worker for the next one.
var ErrBrokenWorker = errors.New("futures: worker process died")

// ErrNotRegistered is matched by the error of a call whose function is not
// registered in the worker process: Register ran in the calling process
// only, typically because it was called from main or a test rather than to
// initialize a package-level variable.
var ErrNotRegistered = errors.New("futures: function not registered in the worker")

// ErrEncoding is matched by the error of a call whose argument or result
// cannot cross the process boundary: encoding/json cannot encode it (a
// channel, a function, NaN, a cycle) or decode it into the declared type,
// or its JSON is larger than 256 MiB.
var ErrEncoding = errors.New("futures: encoding error")

// errGoexit is the error of a future whose function called runtime.Goexit,
// as t.FailNow does.
var errGoexit = errors.New("futures: function called runtime.Goexit")

// A PanicError is the error of a future whose function panicked. The panic
// is recovered on the goroutine, or in the worker process, that ran the
// function; the pool lives on.
type PanicError struct {
	// Value is the value passed to panic. For a call that ran in a worker
	// process it is the value as fmt's %v prints it, a string.
	Value any
	// Stack is the stack of the panicking goroutine, as runtime/debug.Stack
	// prints it.
	Stack []byte
}

// Error returns "futures: panic: " and the panic value; the %+v verb adds
// the stack.
func (e *PanicError) Error() string {
	return panicerr.Message("futures", e.Value)
}

// Unwrap returns the panic value if it is an error, so that errors.Is and
// errors.As see through the panic, and nil otherwise.
func (e *PanicError) Unwrap() error { return panicerr.Unwrap(e.Value) }

// Format prints the error as Error does, and with the %+v verb adds the
// stack of the panic.
func (e *PanicError) Format(s fmt.State, verb rune) {
	panicerr.Format(s, verb, e.Error(), e.Stack)
}

func init() {
	remote.Errors.NotRegistered = ErrNotRegistered
	remote.Errors.Encoding = ErrEncoding
	remote.Errors.Panic = func(v any, stack []byte) error { return &PanicError{Value: v, Stack: stack} }
}

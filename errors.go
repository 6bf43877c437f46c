package asyncio

import (
	"context"
	"errors"
	"fmt"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/internal/errkind"
	"github.com/goasyncio/asyncio/internal/panicerr"
)

// ErrNoRunningLoop is the error that CreateTask, CreateFuture, Await and Sleep
// panic with, and GetRunningLoop returns, when the context given to them does
// not belong to a task of a running loop: the Go form of asyncio's
// "RuntimeError: no running event loop". Start the work with Run or
// RunUntilComplete and pass the ctx that the task function receives.
var ErrNoRunningLoop = errors.New("asyncio: no running event loop")

// ErrInvalidState is returned by Result on a future that is not done yet and
// is the error SetResult and SetException panic with on a future that is
// already done.
var ErrInvalidState = errors.New("asyncio: invalid state")

// ErrCancelled is returned by Await, Sleep, Wait, Gather and WaitFor when the
// task that calls them, or the future they wait for, is cancelled, and by
// Result on a cancelled future or task. It matches context.Canceled and
// futures.ErrCancelled under errors.Is, so a task that returns ctx.Err()
// after cancellation ends cancelled too, and cancelled executor work is
// cancelled in both packages' terms.
var ErrCancelled error = errkind.New("asyncio: cancelled", context.Canceled)

// A cancelError is the cancellation of a task or future cancelled with a
// cause: it matches ErrCancelled (and so context.Canceled) and the cause.
type cancelError struct{ cause error }

func (e *cancelError) Error() string        { return ErrCancelled.Error() + ": " + e.cause.Error() }
func (e *cancelError) Is(target error) bool { return errors.Is(ErrCancelled, target) }
func (e *cancelError) Unwrap() error        { return e.cause }

// cancellation returns the error of a cancellation with cause, which may be
// nil.
func cancellation(cause error) error {
	if cause == nil {
		return ErrCancelled
	}
	return &cancelError{cause}
}

// ErrTimeout is returned by WaitFor when the deadline passes first. It matches
// context.DeadlineExceeded and futures.ErrTimeout under errors.Is.
var ErrTimeout error = errkind.New("asyncio: timeout", context.DeadlineExceeded)

// ErrDeadlock is matched by the error that Run, RunUntilComplete and
// RunForever return when, under WithVirtualClock, every task is blocked and
// nothing can wake the loop: no ready callbacks, no timers and no executor
// work in flight. The error's text names the stuck tasks and what each one
// awaits. With the real clock the loop waits instead, as asyncio does.
var ErrDeadlock = errors.New("asyncio: deadlock")

// ErrLoopClosed is returned by CallSoonThreadsafe, RunUntilComplete and
// RunForever once the loop is closed.
var ErrLoopClosed = errors.New("asyncio: loop is closed")

// ErrLoopRunning is returned by Close, RunUntilComplete and RunForever when
// the loop is already running, and matched by the error that Run,
// RunUntilComplete and RunForever return, without running anything, when
// called from a task or callback of a running loop.
var ErrLoopRunning = errors.New("asyncio: loop is already running")

// A PanicError is the error of a task whose function panicked, or the error
// reported to the exception handler for a callback that panicked. The loop
// recovers the panic and lives on.
type PanicError struct {
	// Value is the value passed to panic.
	Value any
	// Stack is the stack of the panicking goroutine, as runtime/debug.Stack
	// prints it.
	Stack []byte
}

// Error returns "asyncio: panic: " and the panic value; the stack is printed
// by the %+v verb.
func (e *PanicError) Error() string {
	return panicerr.Message("asyncio", e.Value)
}

// Unwrap returns the panic value if it is an error, so that errors.Is and
// errors.As see through the panic.
func (e *PanicError) Unwrap() error { return panicerr.Unwrap(e.Value) }

// As finds a *futures.PanicError in a *PanicError, so that a panic is found
// under either package's type wherever it crossed between the loop and an
// executor: errors.As(err, &fp) with fp a *futures.PanicError sets fp to a
// copy of e.
func (e *PanicError) As(target any) bool {
	if fp, ok := target.(**futures.PanicError); ok {
		*fp = &futures.PanicError{Value: e.Value, Stack: e.Stack}
		return true
	}
	return false
}

// Format prints the error as Error does, and with the %+v verb adds the
// stack of the panic.
func (e *PanicError) Format(s fmt.State, verb rune) {
	panicerr.Format(s, verb, e.Error(), e.Stack)
}

// ErrInterrupted is the cause with which Run cancels its main task on the
// first SIGINT (os.Interrupt), as asyncio.run does: the wait the main task
// is in then returns an error that matches both ErrCancelled and
// ErrInterrupted under errors.Is, as after Task.CancelWithCause.
var ErrInterrupted = errors.New("asyncio: interrupted by SIGINT")

// ErrWouldBlock is returned by the Nowait methods of locks and semaphores
// when the blocking form would have to wait.
var ErrWouldBlock = errors.New("asyncio: would block")

// ErrBrokenBarrier is returned by Barrier.Wait when the barrier is aborted,
// or reset while the task waits.
var ErrBrokenBarrier = errors.New("asyncio: barrier is broken")

// ErrQueueEmpty is returned by GetNowait on an empty queue.
var ErrQueueEmpty = errors.New("asyncio: queue is empty")

// ErrQueueFull is returned by PutNowait on a full queue.
var ErrQueueFull = errors.New("asyncio: queue is full")

// ErrQueueShutDown is returned by Put on a queue that was shut down, and by
// Get once such a queue is empty.
var ErrQueueShutDown = errors.New("asyncio: queue is shut down")

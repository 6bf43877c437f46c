package futures

import (
	"iter"
	"runtime/debug"

	"github.com/goasyncio/asyncio/futures/internal/inorder"
)

// An Executor runs functions on other goroutines: Submit hands it one, and
// Map many. *ThreadPoolExecutor implements it. The interface is sealed, as
// the unexported method shows: only this package's executors implement it,
// so that each can mark a future running at the moment a worker takes it.
//
// *ProcessPoolExecutor does not implement Executor, because a Go function
// value cannot be sent to another process; it runs functions registered by
// name, with Call.
type Executor interface {
	// Shutdown stops the executor from accepting work; with wait, it
	// returns once the work already submitted is done. See
	// ThreadPoolExecutor.Shutdown.
	Shutdown(wait bool)

	submit(t task) error
}

// A task is a function submitted to an Executor, with its future.
type task interface {
	job
	// run calls the function, releases s and completes the future with
	// the function's outcome.
	run(s releaser)
}

// Submit schedules fn to be called on one of ex's workers and returns a
// future for its results. If a worker is free, fn starts at once and the
// future is already running when Submit returns; otherwise it waits in ex's
// queue, first in, first out, and the future is pending until a worker takes
// it. Cancelling the future while it is pending keeps fn from being called.
//
// The future's Result returns what fn returned. If fn panics, the error is a
// *PanicError holding the panic value and stack, and the worker lives on; if
// fn calls runtime.Goexit (as t.FailNow does), the future fails with an
// error saying so. If ex is shut down, Submit returns a future that is
// already finished with ErrShutdown. Submit may be called from any
// goroutine, including a worker of ex. It panics if ex or fn is nil.
func Submit[T any](ex Executor, fn func() (T, error)) *Future[T] {
	if ex == nil {
		panic("futures: Submit to a nil Executor")
	}
	if fn == nil {
		panic("futures: Submit of a nil function")
	}
	f := new(Future[T])
	f.c.owned = true
	if err := ex.submit(&thunk[T]{f: f, fn: fn}); err != nil {
		f.fail(err)
	}
	return f
}

// Map calls fn on ex once for each value of args and yields the results in
// the order of args, as Python's Executor.map does: each yielded pair is what
// one call returned, and a call that panicked yields a *PanicError. Nothing
// happens until the sequence is ranged over; then every call is submitted at
// once, before the first result is awaited, so the calls run concurrently
// while the results come out in order. Stopping the iteration early cancels
// the calls that have not started yet; running calls finish unobserved.
// Each range over the sequence submits the calls anew. Map panics if ex, fn
// or args is nil.
func Map[A, R any](ex Executor, fn func(A) (R, error), args iter.Seq[A]) iter.Seq2[R, error] {
	if ex == nil || fn == nil || args == nil {
		panic("futures: Map with a nil Executor, function or sequence")
	}
	return func(yield func(R, error) bool) {
		var fs []*Future[R]
		for a := range args {
			fs = append(fs, Submit(ex, func() (R, error) { return fn(a) }))
		}
		inorder.Yield(fs, yield)
	}
}

// A releaser is told when a worker's function has returned; see
// slot.release.
type releaser interface{ release() }

// A thunk is a function submitted with Submit.
type thunk[T any] struct {
	f  *Future[T]
	fn func() (T, error)
}

func (t *thunk[T]) claim() bool { return t.f.c.start("start") }
func (t *thunk[T]) cancel()     { t.f.Cancel() }

// run calls the function, releases s and finishes the future with the
// function's results, or a *PanicError. A Goexit cannot be stopped: the
// deferred call records errGoexit and the goroutine ends, which the worker
// loop handles.
func (t *thunk[T]) run(s releaser) {
	returned := false
	defer func() {
		if returned {
			return
		}
		var err error = errGoexit
		if p := recover(); p != nil {
			err = &PanicError{Value: p, Stack: debug.Stack()}
		}
		s.release()
		t.f.fail(err)
	}()
	v, err := t.fn()
	returned = true
	s.release()
	t.f.finish(v, err, "run")
}

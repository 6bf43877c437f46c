package futures

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime"

	"github.com/goasyncio/asyncio/futures/internal/remote"
)

// A ProcessPoolExecutor runs registered functions in worker processes:
// copies of the running program, started anew and put in worker mode by
// ServeIfWorker, Go's counterpart of Python's "spawn" start method. Calls
// escape the Go runtime of the caller entirely, so a crash, a leak or
// os.Exit in the function harms only its worker.
//
// Workers start lazily, one per Call that finds none idle, until there are
// maxWorkers of them; each runs one call at a time, and calls beyond that
// wait in an unbounded queue, first in, first out. A worker that dies while
// it runs a call (it exits, crashes or is killed) fails that call with an
// error matching ErrBrokenWorker, is reaped, and is replaced by a new
// process when its slot takes the next call; other calls are not affected.
// The pool learns of the death from the process itself, even if a process
// that the worker started holds on to its pipes. A worker that writes into
// its reply pipe something that is not a reply is killed, and its call
// fails the same way. A worker that died while idle is noticed before or
// while the next call is written to it, and that call goes to a new worker
// instead of failing. Shutdown closes each worker's connection, upon which
// the worker exits, and reaps it.
//
// Workers die with the pool's process, even in the middle of a call: on
// Linux the kernel kills them when it dies, and on any system each worker
// exits when a pipe that the pool's process holds open, and never writes
// to, closes.
//
// An argument or result travels as JSON of at most 256 MiB. The pipes to
// the workers are passed as extra file descriptors, which requires a
// Unix-like system. The zero ProcessPoolExecutor is ready to use, with
// runtime.NumCPU() workers. Its methods may be called from any goroutine. A
// ProcessPoolExecutor must not be copied after first use.
type ProcessPoolExecutor struct {
	_    noCopy
	pool pool[remoteJob]
}

// NewProcessPool returns a pool of at most maxWorkers worker processes. If
// maxWorkers <= 0 it uses runtime.NumCPU(), as Python does.
func NewProcessPool(maxWorkers int) *ProcessPoolExecutor {
	p := new(ProcessPoolExecutor)
	p.pool.max = maxWorkers
	return p
}

// Call schedules fn(arg) to run in one of p's worker processes and returns
// a future for its results. The future is pending while the call waits in
// p's queue or for a worker to start, and until its request has been
// written to the worker; then it is running, and the call stays with that
// worker: if the worker dies, the call fails rather than run elsewhere. So
// Cancel succeeds until a worker has the call, and no call runs twice.
//
// The future's Result returns the function's results, or one of these
// errors:
//   - one matching ErrEncoding, if arg cannot be encoded or its JSON is
//     larger than 256 MiB (arg is encoded on the calling goroutine, and Call
//     returns the future already failed), or if the result cannot be
//     encoded, decoded or sent;
//   - one with the text of the error fn returned (its type and identity
//     stay in the worker);
//   - a *PanicError whose Value is the panic value's text, if fn panicked
//     (the worker lives on);
//   - one matching ErrBrokenWorker, if the worker died during the call, or
//     broke the protocol and was killed;
//   - one matching ErrNotRegistered, if the worker has no function of that
//     name (see Register);
//   - ErrShutdown, if p is shut down, without running anything.
//
// Call may be called from any goroutine. It panics if p is nil or fn is the
// zero Func.
func Call[A, R any](p *ProcessPoolExecutor, fn Func[A, R], arg A) *Future[R] {
	if p == nil {
		panic("futures: Call on a nil *ProcessPoolExecutor")
	}
	if fn.name == "" {
		panic("futures: Call of a zero Func; get one from Register")
	}
	f := new(Future[R])
	f.c.owned = true
	b, err := json.Marshal(arg)
	if n := 2 + len(fn.name) + len(b); err == nil && n > maxFrame {
		err = tooLarge(n)
	}
	if err != nil {
		f.fail(fmt.Errorf("%w: %s: argument: %w", ErrEncoding, fn.name, err))
		return f
	}
	c := &remoteCall[R]{f: f, name: fn.name, arg: b}
	newWorker, err := p.pool.put(c, runtime.NumCPU)
	if newWorker {
		go p.work(c)
	}
	if err != nil {
		f.fail(err)
	}
	return f
}

// Shutdown stops the pool from accepting calls: a later Call returns a
// future failed with ErrShutdown. Calls made before still run, queued ones
// included; then each worker process is told to exit and is reaped. If wait
// is true, Shutdown returns once all of that is done, so no worker process
// remains, not even as a zombie; if false, it returns at once and the rest
// happens in the background.
//
// Calling Shutdown more than once is harmless, and Shutdown(true) after
// Shutdown(false) or ShutdownNow waits.
func (p *ProcessPoolExecutor) Shutdown(wait bool) {
	p.pool.shutdown(false, wait)
}

// ShutdownNow stops the pool as Shutdown(false) does, and also cancels the
// calls still queued: those futures end cancelled, and their done callbacks
// run on the calling goroutine before ShutdownNow returns. Calls that a
// worker slot has taken run, even one still pending while its worker
// starts, and running calls are not interrupted; call Shutdown(true)
// afterwards to wait for them and for the workers to be reaped.
func (p *ProcessPoolExecutor) ShutdownNow() {
	p.pool.shutdown(true, false)
}

// work is the loop of one worker slot, starting with j: a goroutine that
// owns at most one worker process at a time and runs calls on it.
func (p *ProcessPoolExecutor) work(j remoteJob) {
	s := p.pool.newSlot()
	var w *worker
	defer func() {
		if w != nil {
			w.close()
		}
		p.pool.slots.Done()
	}()
	for ok := true; ok; j, ok = s.take() {
		w = runOn(w, j, s)
	}
}

// runOn runs j on the worker w, starting one if w is nil or dead, releases
// s when the call is over, and returns the worker for the next call, nil
// if it died.
func runOn(w *worker, j remoteJob, s releaser) *worker {
	name, arg := j.request()
	for attempt := 0; ; attempt++ {
		if w != nil && w.hasExited() {
			w.kill() // it died while idle; reap it
			w = nil
		}
		if w == nil {
			var err error
			if w, err = startWorker(); err != nil {
				s.release()
				j.fail(err)
				return nil
			}
		}
		state, partial, err := w.send(name, arg, j)
		switch {
		case errors.Is(err, ErrEncoding):
			// Nothing was written. (Call has checked the size already.)
			s.release()
			j.fail(err)
			return w
		case state == Cancelled && partial:
			// The worker holds part of the request, and cannot be told
			// to drop it.
			w.kill()
			s.release()
			return nil
		case state == Cancelled:
			s.release()
			return w
		case state == Pending && attempt == 0:
			// The worker died while idle, before it had the whole
			// request: the call has not started, and goes to a new
			// worker.
			w.kill()
			w = nil
			continue
		}
		var kind byte
		var payload []byte
		if state == Running {
			kind, payload, err = w.readReply()
		}
		if err != nil {
			err = w.broken(err)
			s.release()
			j.fail(err)
			return nil
		}
		s.release()
		j.deliver(kind, payload)
		return w
	}
}

// A remoteJob is a call to run in a worker process. Unlike a task it stays
// pending when a slot claims it, until its request is sent.
type remoteJob interface {
	job
	request() (name string, arg []byte)
	// startIf is core.startIf on the call's future.
	startIf(try func() bool) State
	// deliver finishes the future with the worker's reply, whose payload
	// is valid only during the call.
	deliver(kind byte, payload []byte)
	fail(err error)
}

type remoteCall[R any] struct {
	f    *Future[R]
	name string
	arg  []byte
}

func (c *remoteCall[R]) claim() bool                        { return !c.f.Cancelled() }
func (c *remoteCall[R]) startIf(try func() bool) State      { return c.f.c.startIf(try) }
func (c *remoteCall[R]) cancel()                            { c.f.Cancel() }
func (c *remoteCall[R]) request() (name string, arg []byte) { return c.name, c.arg }
func (c *remoteCall[R]) fail(err error)                     { c.f.fail(err) }

func (c *remoteCall[R]) deliver(kind byte, payload []byte) {
	v, err := remote.Decode[R](c.name, kind, payload)
	c.f.finish(v, err, "SetResult")
}

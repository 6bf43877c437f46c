// Package futures runs blocking functions on pools of goroutines or of
// worker processes and hands back futures for their results: the Go form of
// Python's concurrent.futures.
//
// Package asyncio runs many tasks on one goroutine; work that blocks goes
// to an executor from this package and is awaited there as an
// asyncio.Future (see asyncio.RunInExecutor and asyncio.WrapFuture). The
// package is just as usable on its own.
//
// # Futures
//
// A Future[T] is the eventual result of a function: pending while it waits
// in an executor's queue, running while a worker runs it, then finished with
// the function's value and error, or cancelled if Cancel reached it while it
// was still pending. Unlike asyncio's, these futures may be used from any
// goroutine, and Result blocks until the future is done. ResultContext and
// ResultTimeout bound the wait; DoneChan serves select statements, and
// AddDoneCallback runs a function once the future is done, on the goroutine
// that completed it. A zero Future is a future that the caller resolves
// itself, with SetRunning, SetResult and SetError.
//
// A panic in a submitted function is recovered and becomes the future's
// error, a *PanicError carrying the stack. Errors are values: ErrCancelled
// matches context.Canceled and ErrTimeout matches context.DeadlineExceeded
// under errors.Is, and every error and panic text of the package starts with
// "futures: ". Misuse, such as a nil function or SetResult on a done future,
// panics with a text that names it.
//
// # Thread pools
//
// A ThreadPoolExecutor is an Executor: Submit schedules a func() (T, error)
// on it and returns a *Future[T]. It starts worker goroutines as work
// arrives, up to its maximum, and queues the rest in order. When a worker is
// free, Submit hands the function over before it returns, so the future is
// already running, as Python's executor shows it:
//
//	pool := futures.NewThreadPool(5)
//	defer pool.Shutdown(true)
//	f := futures.Submit(pool, func() (int, error) { return work(), nil })
//	fmt.Println(f) // <Future at 0xc000120000 state=running>
//	v, err := f.Result()
//
// Shutdown(true) waits for the submitted work and for every worker to exit;
// ShutdownNow also cancels what is still queued.
//
// # Process pools
//
// A ProcessPoolExecutor runs functions in worker processes, which are the
// running program started again in worker mode, as Python's "spawn" start
// method does. A Go function value cannot cross to another process, so the
// functions are registered by name while packages are initialized, and Call
// takes the typed handle that Register returns:
//
//	var square = futures.Register("square", func(x int) (int, error) { return x * x, nil })
//
//	func main() {
//		futures.ServeIfWorker() // in a worker process, serves and exits
//		pool := futures.NewProcessPool(0)
//		defer pool.Shutdown(true)
//		n, err := futures.Call(pool, square, 7).Result()
//		...
//	}
//
// The first line of main, and of TestMain in tests that use a process pool,
// must be ServeIfWorker: it plays the part of Python's
// `if __name__ == "__main__":` guard.
//
// Arguments and results travel as JSON (encoding/json), each value encoded
// on its own and at most 256 MiB. JSON was chosen over encoding/gob for that independence: an
// argument that cannot be encoded fails on the caller's goroutine, with
// encoding/json's plain error, before anything is sent, and no failure or
// replacement of a worker can put a stream's state out of step. A gob
// stream shared by all the calls to a worker would be about twice as fast
// for small values, but ties each message to the ones before it; a gob
// encoded on its own carries its type's description and is an order of
// magnitude slower than JSON. JSON's price is its reach: no channels,
// functions, NaN or infinities, unexported fields are dropped, and values
// of interface type come back as JSON's generic types. An error returned by
// a function crosses as its text.
//
// # Waiting
//
// Wait waits for a set of futures until the first completes, the first
// fails, or all complete, with a timeout; AsCompleted yields them in the
// order they complete; Map runs a function over a sequence of arguments and
// yields the results in order. Wait and AsCompleted take a slice of futures
// of one type, or of Waitable to mix result types.
//
// Throughout the package a timeout <= 0 means no time limit, as in package
// asyncio.
package futures

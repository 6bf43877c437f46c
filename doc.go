// Package asyncio runs many tasks on one goroutine, one at a time, switching
// only where a task awaits: the Go form of Python's asyncio.
//
// Goroutines give parallelism; they do not give a single-threaded,
// deterministic schedule. Tasks on a loop share state without locks, run in
// a reproducible order, and can be tested in virtual time, where an hour of
// Sleep takes no real time. Blocking work goes to executors and is awaited.
//
// # Loop
//
// A Loop owns a FIFO queue of ready callbacks and tasks, a heap of timers,
// and an inbox that other goroutines fill with CallSoonThreadsafe. Run makes
// a loop, runs a main function on it as the first task, and closes it:
//
//	v, err := asyncio.Run(func(ctx context.Context) (string, error) {
//		t := asyncio.CreateTask(ctx, fetch)
//		return asyncio.Await(ctx, t)
//	})
//
// NewLoop and RunUntilComplete do the same in steps, for a loop that runs
// more than once. A loop with nothing to do blocks; it does not spin.
//
// # Tasks
//
// A task runs a function func(ctx context.Context) (T, error) as a
// coroutine: CreateTask schedules it, Await suspends the calling task until
// a future or task is done, and Sleep suspends it for a while. A plain call
// of another such function, fn(ctx), runs inside the same task: it is the Go
// form of `await coro()`. Futures are results set later by SetResult or
// SetException; tasks are futures whose result is their function's.
//
// Rules of use, as for package context: ctx is the first parameter and is
// never nil; a task's ctx belongs to that task, so it is passed down to the
// functions the task calls, not stored, and not used by other tasks or
// goroutines to Await or Sleep; Await and Sleep are called only from the
// code of a task. Misuse panics with an error that names it: a ctx that
// belongs to no task of a running loop panics with ErrNoRunningLoop, the
// counterpart of asyncio's "no running event loop".
//
// Futures, tasks and the loop are confined to the loop's goroutine, as in
// asyncio; only CallSoonThreadsafe, the loop's Time, IsRunning and IsClosed,
// and a task's ctx (its Done, Err, Value) may be used from other goroutines.
//
// # Cancellation
//
// Cancel on a task asks it to stop. Its ctx is cancelled at once, so work it
// handed to other goroutines with that ctx (an http.Request, ToThread work)
// stops too. If the task is suspended, its Await or Sleep returns an error
// matching ErrCancelled, and what it awaited is cancelled as well. The task
// decides how to end: returning the error (or any error matching
// context.Canceled) makes it cancelled; returning normally keeps it
// finished. ErrCancelled matches context.Canceled, and ErrTimeout matches
// context.DeadlineExceeded, under errors.Is.
//
// Cancel is one of three interruptions; a Timeout that expires and a
// TaskGroup that aborts are the others, and they act alike. Each ends the
// wait the task is in, whatever it waits in (Await, Sleep, a lock, event,
// semaphore, condition, barrier or queue, Group, Gather, Wait, WaitFor,
// AsCompleted), with an error matching ErrCancelled; a task interrupted
// while it runs gets the error at its next wait. A task counts the
// interruptions asked of it, as asyncio's Task.cancelling does. A Timeout or
// TaskGroup takes back the one it made when it ends, and turns it into
// ErrTimeout or the children's errors; one from outside goes on outwards. A
// task cancelled from outside while its group fails thus gets the group's
// errors from Group, and ErrCancelled from its next wait.
//
// A Go context is a Go context. A wait given a ctx derived from the task's
// (context.WithTimeout, WithDeadline, WithCancel) — Await, Sleep, Wait,
// WaitFor, Gather, AsCompleted, the waits of locks, events, semaphores,
// conditions, barriers and queues, ToThread — returns when that ctx is done,
// with an error matching its Err (context.DeadlineExceeded or
// context.Canceled), and returns at once, without suspending, if it is done
// already. The task is not cancelled, what it awaits is not cancelled, and
// nothing is taken: the wait leaves as a cancelled one does. The ctx of a
// Timeout or Group made under such a ctx is bound by it too, and a Group
// whose ctx ends while children run aborts with the ctx's error. A deadline
// counts on the loop's clock, so under WithVirtualClock
// Sleep(context.WithTimeout(ctx, 200*time.Millisecond), 2*time.Second)
// returns after 200 ms of loop time; the loop maps a deadline to its clock
// when it first sees it. A cancellation by a task of the loop is seen in
// the iteration that made it, as that iteration ends, before the loop
// idles or moves a virtual clock: the waits it ends resume in the next
// iteration, as those of a Future cancelled at the same moment would, but
// after the callbacks and tasks that the cancelling iteration scheduled
// (Go's context package gives no hook to learn of a cancellation sooner
// without a goroutine, and looking after every task step would cost each
// step the number of watched waits).
// One from another goroutine is seen as soon as the loop wakes. No
// goroutine is started per wait. The ctx a Timeout gives its function
// reports the deadline through Deadline.
//
// A task's ctx carries the values of the ctx it was created with but not its
// cancellation, and it is cancelled when the task ends, as an http.Request's
// context is when its handler returns. Contexts derived from it start no
// goroutine.
//
// A panic in a task becomes the task's error, a *PanicError with the
// stack; a panic in a callback goes to the loop's exception handler. In both
// cases the loop lives on. runtime.Goexit (which t.FailNow calls in a test)
// is not a panic: in a task other than the main task it ends the goroutine
// that runs the loop, so a test should fail from a task with t.Error and a
// returned error, and call t.FailNow only from the main task or outside.
//
// # Where goasyncio differs from asyncio
//
//   - A cancellation is an error that a wait returns, not an exception: code
//     that goes on after it has, in asyncio's terms, caught CancelledError.
//   - A Timeout whose deadline interrupted its function returns ErrTimeout
//     even when the function swallowed the interruption and returned nil;
//     asyncio's timeout then lets the block end as if in time.
//   - Group returns the errors of its children and body joined with
//     errors.Join, where asyncio raises an ExceptionGroup.
//   - AsCompleted is an iterator and cannot raise: when the task is
//     interrupted it stops, and the task's next wait returns ErrCancelled.
//     AsCompletedTimeout yields the error instead.
//   - A cancel message is an error, the cause of CancelWithCause, that the
//     cancellation error wraps.
//   - Tasks that await each other in a cycle and are cancelled unwind; in
//     asyncio, cancelling them recurses until the stack overflows.
//   - A deadline that reaches past the end of the loop's clock, such as
//     time.Duration(math.MaxInt64), never fires instead of wrapping.
//   - A task has a context.Context, cancelled when the task is cancelled or
//     ends; asyncio has none.
//   - Run cancels its main task on the first SIGINT with ErrInterrupted, as
//     asyncio.run does; a second SIGINT ends the process with Go's default
//     action, where asyncio raises KeyboardInterrupt.
//
// # I/O, subprocesses and signals
//
// Tasks open connections with OpenConnection and serve them with
// StartServer, which runs a handler task per connection; a Stream reads as
// asyncio's StreamReader does (Read, ReadExactly, ReadUntil, ReadLine) and
// writes as its StreamWriter does (Write buffers, Drain waits while the
// buffer is above its high-water mark). WithTLS and StartTLS speak TLS;
// ListenDatagram and DialDatagram are UDP endpoints. On Linux the loop
// polls its TCP and Unix sockets itself, with epoll, as uvloop does: a
// connection costs no goroutine. Elsewhere, and for TLS and pipes, each
// connection has a reader goroutine, and a writer goroutine while it has
// work, that hand bytes to the loop. No goroutine is started per call, the
// loop never blocks on a socket, and a task
// interrupted in a read or a Drain leaves the stream as it was: no byte is
// lost or read twice. Go code that takes an io.Reader, io.Writer or
// net.Conn runs on Stream.Conn(ctx) inside a task. An open connection,
// server or endpoint counts as I/O in flight: under WithVirtualClock time
// does not jump while it may still deliver. The loop closes what is left
// open when it closes.
//
// CreateSubprocessExec and CreateSubprocessShell start child processes
// whose standard streams can be Streams; Wait, Communicate, Kill and
// SendSignal work as asyncio's do, a cancelled Wait leaves no zombie, and
// the loop kills and reaps the children still running when it closes.
// AddSignalHandler runs a function on the loop when a signal arrives; Run
// cancels its main task on the first SIGINT, as asyncio.run does, unless
// it is given WithContext.
//
// # Ordering
//
// The schedule is deterministic, which makes runs reproducible:
//
//   - Ready callbacks and tasks run first in, first out. What runs in one
//     iteration schedules for the next, so Sleep(ctx, 0) lets every other
//     ready task run once.
//   - New tasks start in the order they were created, after the callbacks
//     scheduled before them.
//   - Timers fire by deadline, and timers with equal deadlines in the order
//     they were scheduled.
//   - Tasks awaiting one future wake in the order they began to await.
//
// # Virtual time
//
// Under WithVirtualClock the loop's clock jumps to the next timer whenever
// nothing is ready and no executor work or I/O is in flight, so tests that sleep
// for hours finish at once and print the same times on every run. A loop
// with no ready work, no timers and no executor work in flight can never
// progress again: Run and RunUntilComplete then return an error matching
// ErrDeadlock that names the stuck tasks and what each awaits. With the real
// clock the loop waits instead, as asyncio does, since another goroutine may
// still call CallSoonThreadsafe.
package asyncio

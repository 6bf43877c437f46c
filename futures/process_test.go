//go:build unix

package futures_test

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/futures"
)

// The functions the process pool tests call. They are registered while the
// package is initialized, so the worker processes, which are this test
// binary started anew, register them too.
var (
	square = futures.Register("test.square", func(x int) (int, error) { return x * x, nil })
	echo   = futures.Register("test.echo", func(p point) (point, error) { return p, nil })
	getpid = futures.Register("test.getpid", func(struct{}) (int, error) { return os.Getpid(), nil })
	fail   = futures.Register("test.fail", func(msg string) (int, error) { return 0, errors.New(msg) })
	boom   = futures.Register("test.panic", func(msg string) (int, error) { panic(msg) })
	exit   = futures.Register("test.exit", func(code int) (int, error) { os.Exit(code); return 0, nil })
	nan    = futures.Register("test.nan", func(struct{}) (float64, error) { return math.NaN(), nil })
	chans  = futures.Register("test.chan", func(chan int) (int, error) { return 0, nil })
	block  = futures.Register("test.block", blockOnFifo)
	huge   = futures.Register("test.huge", func(n int) (string, error) { return strings.Repeat("x", n), nil })
	// The longest name there may be: its length takes 16 bits on the wire.
	longest = futures.Register(strings.Repeat("n", 1<<16-1), func(x int) (int, error) { return x + 1, nil })
)

// parentOnly registers a function the first time a test calls it, in the
// test process only: the workers never run that code.
var parentOnly = sync.OnceValue(func() futures.Func[int, int] {
	return futures.Register("test.parentOnly", func(x int) (int, error) { return x, nil })
})

// blockOnFifo returns the worker's pid once the named pipe at path has been
// opened for writing and closed: it lets a test hold a call running and
// release it, with no sleep.
func blockOnFifo(path string) (int, error) {
	f, err := os.Open(path) // waits for the writer
	if err != nil {
		return 0, err
	}
	defer f.Close()
	io.Copy(io.Discard, f) // until the writer closes
	return os.Getpid(), nil
}

// startLogEnv names a file to which every worker process started while it
// is set appends its pid as it initializes, before it serves: how a test
// counts the workers a pool started.
const startLogEnv = "FUTURES_TEST_START_LOG"

func init() {
	if path := os.Getenv(startLogEnv); path != "" && os.Getenv(futures.WorkerEnv) != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err == nil {
			fmt.Fprintln(f, os.Getpid())
			f.Close()
		}
	}
}

// logWorkerStarts has the workers started from now until the test ends log
// their pids, and returns a function that reads the pids logged so far.
func logWorkerStarts(t *testing.T) func() []int {
	path := filepath.Join(t.TempDir(), "starts")
	t.Setenv(startLogEnv, path)
	return func() []int {
		t.Helper()
		b, err := os.ReadFile(path)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		var pids []int
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("start log %q: %v", b, err)
			}
			pids = append(pids, pid)
		}
		return pids
	}
}

// A fifo is a named pipe for blockOnFifo.
type fifo string

// newFifo makes a fifo that is released when the test ends, before the
// pools made before it are shut down (see newPool): a test that fails while
// a call is blocked on the fifo then fails, instead of hanging in the
// pool's Shutdown(true).
func newFifo(t *testing.T) fifo {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fifo(path).releaseNowait)
	return fifo(path)
}

// releaseNowait lets a call blocked on the fifo return, if one is; it does
// not wait for one to come.
func (f fifo) releaseNowait() {
	w, err := os.OpenFile(string(f), os.O_WRONLY|syscall.O_NONBLOCK, 0) // ENXIO: no reader
	if err == nil {
		w.Close()
	}
}

// newPool returns a process pool of n workers, shut down with
// Shutdown(true) when the test ends, after the fifos made later are
// released. After that, it checks that no goroutine started since remains.
func newPool(t *testing.T, n int) *futures.ProcessPoolExecutor {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
	p := futures.NewProcessPool(n)
	t.Cleanup(func() { p.Shutdown(true) })
	return p
}

// enter waits until the worker runs the call blocked on the fifo, and
// returns the writer whose Close lets the call return.
func (f fifo) enter(t *testing.T) *os.File {
	t.Helper()
	w, err := os.OpenFile(string(f), os.O_WRONLY, 0) // waits for the reader
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// release lets the call blocked on the fifo return.
func (f fifo) release(t *testing.T) {
	t.Helper()
	f.enter(t).Close()
}

type point struct {
	X, Y  int
	Label string
	Tags  map[string]bool
}

// callOK runs fn(arg) on p and fails the test if it fails.
func callOK[A, R any](t *testing.T, p *futures.ProcessPoolExecutor, fn futures.Func[A, R], arg A) R {
	t.Helper()
	v, err := futures.Call(p, fn, arg).Result()
	if err != nil {
		t.Fatalf("%s(%v): %v", fn.Name(), arg, err)
	}
	return v
}

// workerPID returns the pid of a worker of p, read by a call, after
// checking that it is one: a test that signals 0 or -1 by mistake stops or
// kills whole process groups, the test runner's included.
func workerPID(t *testing.T, p *futures.ProcessPoolExecutor) int {
	t.Helper()
	pid := callOK(t, p, getpid, struct{}{})
	if pid <= 1 || pid == os.Getpid() {
		t.Fatalf("getpid in a worker = %d, not a worker's pid", pid)
	}
	return pid
}

func TestCallRoundTrip(t *testing.T) {
	p := newPool(t, 2)
	if v := callOK(t, p, square, 7); v != 49 {
		t.Errorf("square(7) = %d", v)
	}
	in := point{X: 1, Y: -2, Label: "ü", Tags: map[string]bool{"a": true}}
	if out := callOK(t, p, echo, in); out.X != in.X || out.Y != in.Y || out.Label != in.Label || !out.Tags["a"] {
		t.Errorf("echo(%v) = %v", in, out)
	}
}

func TestCallRunsInAnotherProcess(t *testing.T) {
	p := newPool(t, 1)
	if pid := callOK(t, p, getpid, struct{}{}); pid == os.Getpid() || pid <= 0 {
		t.Errorf("the call ran in process %d; this is %d", pid, os.Getpid())
	}
}

func TestCallStates(t *testing.T) {
	p := newPool(t, 1)
	gate := newFifo(t)
	running := futures.Call(p, block, string(gate))
	queued := futures.Call(p, square, 3)
	release := gate.enter(t)
	if running.State() != futures.Running || queued.State() != futures.Pending {
		t.Errorf("states %v, %v while the worker runs the first call; want running, pending", running.State(), queued.State())
	}
	release.Close()
	if _, err := running.Result(); err != nil || running.State() != futures.Finished {
		t.Errorf("running call: %v, %v", err, running.State())
	}
	if v, err := queued.Result(); v != 9 || err != nil || queued.State() != futures.Finished {
		t.Errorf("queued call: %v, %v, %v", v, err, queued.State())
	}
}

func TestCallReturnsFunctionErrorText(t *testing.T) {
	p := newPool(t, 1)
	if _, err := futures.Call(p, fail, "disk full").Result(); err == nil || err.Error() != "disk full" {
		t.Errorf("error %v, want the function's error text", err)
	}
}

func TestCallPanicBecomesPanicError(t *testing.T) {
	p := newPool(t, 1)
	pid := workerPID(t, p)
	_, err := futures.Call(p, boom, "kaboom").Result()
	var pe *futures.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" || !strings.Contains(string(pe.Stack), "process_test.go") {
		t.Fatalf("error %#v, want a *PanicError of \"kaboom\" with the worker's stack", err)
	}
	if again := workerPID(t, p); again != pid {
		t.Errorf("the worker was replaced after a recovered panic: %d, then %d", pid, again)
	}
}

func TestCallUnregisteredFunction(t *testing.T) {
	p := newPool(t, 1)
	_, err := futures.Call(p, parentOnly(), 1).Result()
	if !errors.Is(err, futures.ErrNotRegistered) || !strings.Contains(err.Error(), `"test.parentOnly"`) {
		t.Errorf("error %v, want ErrNotRegistered naming the function", err)
	}
}

func TestCallFunctionWithTheLongestName(t *testing.T) {
	p := newPool(t, 1)
	if v := callOK(t, p, longest, 1); v != 2 {
		t.Errorf("the function of the longest name returned %d for 1, want 2", v)
	}
}

func TestCallUnencodableArgument(t *testing.T) {
	p := newPool(t, 1)
	f := futures.Call(p, chans, make(chan int))
	if f.State() != futures.Finished {
		t.Errorf("state %v right after Call, want finished", f.State())
	}
	_, err := f.Result()
	if !errors.Is(err, futures.ErrEncoding) || !strings.Contains(err.Error(), "test.chan: argument: json: unsupported type") {
		t.Errorf("error %v, want ErrEncoding about the argument", err)
	}
}

func TestCallArgumentSizeLimit(t *testing.T) {
	// An argument whose request would be over the 256 MiB limit is refused
	// on the calling goroutine: the future Call returns has failed already.
	// One at the limit is queued as any other.
	skipHuge(t)
	p := newPool(t, 1)
	gate := newFifo(t)
	futures.Call(p, block, string(gate)) // keeps the worker busy
	// The request's payload is the name's length (2 bytes), the name and
	// the JSON string: the bytes and 2 quotes.
	over := strings.Repeat("x", futures.MaxFrame+1-2-len(length.Name())-2)
	at := futures.Call(p, length, over[1:])
	atState := at.State()
	at.Cancel()
	f := futures.Call(p, length, over)
	fState := f.State()
	gate.release(t)
	if atState != futures.Pending {
		_, err := at.Result()
		t.Errorf("a call whose request is at the limit is %v (%v), want pending in the queue", atState, err)
	}
	if fState != futures.Finished {
		t.Errorf("a call whose request is over the limit is %v right after Call, want finished", fState)
	}
	want := fmt.Sprintf("test.len: argument: %d bytes of JSON, more than the limit of 256 MiB", futures.MaxFrame+1)
	if _, err := f.Result(); !errors.Is(err, futures.ErrEncoding) || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want ErrEncoding: %s", err, want)
	}
}

func TestCallUnencodableResult(t *testing.T) {
	p := newPool(t, 1)
	_, err := futures.Call(p, nan, struct{}{}).Result()
	if !errors.Is(err, futures.ErrEncoding) || !strings.Contains(err.Error(), "test.nan: result: json: unsupported value: NaN") {
		t.Errorf("error %v, want ErrEncoding about the result", err)
	}
}

func TestCallResultOverTheLimit(t *testing.T) {
	// A result whose JSON is over 256 MiB fails the call with ErrEncoding,
	// and the worker lives on.
	skipHuge(t)
	p := newPool(t, 1)
	pid := callOK(t, p, getpid, struct{}{})
	_, err := futures.Call(p, huge, futures.MaxFrame-1).Result() // the JSON string has 2 quotes more
	if !errors.Is(err, futures.ErrEncoding) || !strings.Contains(err.Error(), "test.huge: result: ") ||
		!strings.Contains(err.Error(), "more than the limit of 256 MiB") {
		t.Errorf("error %v, want ErrEncoding about the result's size", err)
	}
	if again := callOK(t, p, getpid, struct{}{}); again != pid {
		t.Errorf("the worker was replaced after a result over the limit: %d, then %d", pid, again)
	}
}

func TestWorkerDeathFailsOnlyItsCall(t *testing.T) {
	for _, tc := range []struct {
		name   string
		kill   func(t *testing.T, p *futures.ProcessPoolExecutor, pid int) *futures.Future[int]
		status string
	}{
		{"Exit", func(t *testing.T, p *futures.ProcessPoolExecutor, pid int) *futures.Future[int] {
			return futures.Call(p, exit, 3)
		}, "exit status 3"},
		{"SIGKILL", func(t *testing.T, p *futures.ProcessPoolExecutor, pid int) *futures.Future[int] {
			// Kill the worker once it runs the call, not merely once the
			// call is handed to its slot: then the call must fail, not
			// move to another worker.
			gate := newFifo(t)
			f := futures.Call(p, block, string(gate))
			release := gate.enter(t)
			t.Cleanup(func() { release.Close() })
			if f.State() != futures.Running {
				t.Fatalf("the call is %v while the worker runs it, want running", f.State())
			}
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			return f
		}, "signal: killed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(t, 1)
			pid := workerPID(t, p)
			dying := tc.kill(t, p, pid)
			queued := futures.Call(p, getpid, struct{}{})
			_, err := dying.Result()
			if !errors.Is(err, futures.ErrBrokenWorker) || !strings.Contains(err.Error(), tc.status) {
				t.Errorf("error %v, want ErrBrokenWorker with %q", err, tc.status)
			}
			next, err := queued.Result()
			if err != nil || next == pid {
				t.Errorf("the call after the death: pid %d, %v; want a new worker (not %d)", next, err, pid)
			}
			if v := callOK(t, p, square, 4); v != 16 {
				t.Errorf("square(4) = %d on the new worker", v)
			}
		})
	}
}

func TestProcessPoolShutdownReapsWorkers(t *testing.T) {
	p := newPool(t, 2)
	gate := newFifo(t)
	a := futures.Call(p, block, string(gate)) // keeps one worker busy
	pidB := workerPID(t, p)                   // so this starts another
	gate.release(t)
	pidA, err := a.Result()
	if err != nil {
		t.Fatal(err)
	}
	p.Shutdown(true)
	for _, pid := range []int{pidA, pidB} {
		// A zombie still takes signals; only a reaped process is gone.
		if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
			t.Errorf("worker %d after Shutdown(true): kill(0) = %v, want ESRCH", pid, err)
		}
	}
}

func TestCallAfterShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewProcessPool(1)
	p.Shutdown(true)
	if _, err := futures.Call(p, square, 2).Result(); err != futures.ErrShutdown {
		t.Errorf("error %v, want ErrShutdown", err)
	}
}

func TestProcessPoolShutdownNowCancelsQueuedCalls(t *testing.T) {
	p := newPool(t, 1)
	gate := newFifo(t)
	running := futures.Call(p, block, string(gate))
	queued := futures.Call(p, square, 2)
	p.ShutdownNow()
	if !queued.Cancelled() {
		t.Errorf("queued call is %v after ShutdownNow", queued.State())
	}
	gate.release(t)
	p.Shutdown(true)
	if _, err := running.Result(); err != nil {
		t.Errorf("running call after ShutdownNow: %v", err)
	}
}

func TestCallCancelQueued(t *testing.T) {
	p := newPool(t, 1)
	gate := newFifo(t)
	futures.Call(p, block, string(gate))
	queued := futures.Call(p, square, 2)
	if !queued.Cancel() {
		t.Fatal("Cancel of a queued call failed")
	}
	gate.release(t)
	if v := callOK(t, p, square, 3); v != 9 {
		t.Errorf("square(3) = %d after a cancelled call", v)
	}
}

func TestCallCancelledBeforeItIsSentKeepsTheWorker(t *testing.T) {
	// A call cancelled while its worker starts leaves nothing on the
	// worker's pipe, and the worker serves the next call.
	starts := logWorkerStarts(t)
	p := newPool(t, 1)
	f := futures.Call(p, square, 2)
	if !f.Cancel() { // a worker takes far longer to start than this
		t.Skipf("the call was sent before it could be cancelled: %v", f.State())
	}
	pid := callOK(t, p, getpid, struct{}{})
	if got := starts(); !slices.Equal(got, []int{pid}) {
		t.Errorf("workers %v started, want the one that served the next call, %d", got, pid)
	}
}

func TestZeroProcessPoolWorks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var p futures.ProcessPoolExecutor
	defer p.Shutdown(true)
	if v := callOK(t, &p, square, 5); v != 25 {
		t.Errorf("square(5) = %d", v)
	}
}

func TestWorkerThatDoesNotServeStartsNoWorker(t *testing.T) {
	// A process with the worker variable set is a worker whose main did not
	// call ServeIfWorker; it must not start workers of its own, which would
	// do the same, without end.
	t.Setenv(futures.WorkerEnv, "1")
	p := newPool(t, 1)
	if _, err := futures.Call(p, square, 2).Result(); err == nil || !strings.Contains(err.Error(), "ServeIfWorker") {
		t.Errorf("error %v, want one that names ServeIfWorker", err)
	}
}

func TestRegisterMisusePanics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for name, fn := range map[string]func(){
		"Duplicate": func() { futures.Register("test.square", func(x int) (int, error) { return x, nil }) },
		"EmptyName": func() { futures.Register("", func(x int) (int, error) { return x, nil }) },
		"LongName":  func() { futures.Register(strings.Repeat("n", 1<<16), func(x int) (int, error) { return x, nil }) },
		"Nil":       func() { futures.Register[int, int]("test.nil", nil) },
		"CallZero":  func() { futures.Call(futures.NewProcessPool(1), futures.Func[int, int]{}, 1) },
		"CallNil":   func() { futures.Call(nil, square, 1) },
	} {
		t.Run(name, func(t *testing.T) {
			if s, _ := mustPanic(t, fn).(string); !strings.HasPrefix(s, "futures: ") {
				t.Errorf("panic %q does not start with \"futures: \"", s)
			}
		})
	}
}

func TestWorkerKilledWhileIdleIsReplacedQuietly(t *testing.T) {
	p := newPool(t, 1)
	pid := workerPID(t, p)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Wait until the worker is dead, with no thread left that could hold
	// its end of the pipe: reaped already, or a zombie of one thread.
	waitDead(t, pid, time.Minute)
	if next := workerPID(t, p); next == pid {
		t.Errorf("the call ran on the dead worker %d", pid)
	}
}

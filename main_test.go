package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures"
)

func TestMain(m *testing.M) {
	futures.ServeIfWorker() // the process-pool fault tests start workers from this binary
	// Under the race detector every process sleeps a second before it exits;
	// the workers inherit this setting.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	goleak.VerifyTestMain(m)
}

// run runs main on a fresh loop with the virtual clock, failing the test on
// a Run error and on any report to the exception handler (a callback's
// panic, an error nobody retrieved, a task still pending at the end), and
// checks that no goroutine outlives it. A test that expects reports passes
// its own asyncio.WithExceptionHandler, which replaces the failing one.
func run[T any](t *testing.T, main func(ctx context.Context) (T, error), opts ...asyncio.Option) T {
	t.Helper()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // what ran before is not ours
	failOnReport := asyncio.WithExceptionHandler(func(e *asyncio.Exception) {
		t.Errorf("unexpected report to the exception handler: %v", e)
	})
	opts = append([]asyncio.Option{asyncio.WithVirtualClock(), failOnReport}, opts...)
	v, err := asyncio.Run(main, opts...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return v
}

// now returns the loop time of the task owning ctx.
func now(ctx context.Context) string {
	l, err := asyncio.GetRunningLoop(ctx)
	if err != nil {
		panic(err)
	}
	return l.Time().String()
}

// mustPanic calls fn and returns what it panicked with, failing the test if
// it did not panic.
func mustPanic(t *testing.T, fn func()) (p any) {
	t.Helper()
	defer func() { p = recover() }()
	fn()
	t.Fatal("did not panic")
	return nil
}

// panicMatches checks that the panic value p is an error matching target,
// or a message containing want.
func panicMatches(t *testing.T, p any, target error, want string) {
	t.Helper()
	var msg string
	switch v := p.(type) {
	case error:
		if target != nil && !errors.Is(v, target) {
			t.Errorf("panic %v does not match %v", v, target)
		}
		msg = v.Error()
	case string:
		if target != nil {
			t.Errorf("panic %q is not an error matching %v", v, target)
		}
		msg = v
	default:
		t.Fatalf("panic value %#v", p)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("panic %q does not say %q", msg, want)
	}
}

// recorder collects lines in order, for ordering tests.
type recorder struct{ lines []string }

func (r *recorder) add(format string, args ...any) {
	r.lines = append(r.lines, fmt.Sprintf(format, args...))
}

func (r *recorder) check(t *testing.T, want ...string) {
	t.Helper()
	if got := strings.Join(r.lines, "|"); got != strings.Join(want, "|") {
		t.Errorf("order:\n got %s\nwant %s", got, strings.Join(want, "|"))
	}
}

// noLeaks fails the test if goroutines started during it are still alive
// when it ends; call it deferred at the top of a test that makes its own
// loops.
func noLeaks(t *testing.T) func() {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	return func() { goleak.VerifyNone(t, opt) }
}

// netpollOnce opens the network poller's descriptors, which the runtime
// keeps for the life of the process, before the first count.
var netpollOnce sync.Once

// openFDs counts the process's open file descriptors, or -1 where /proc is
// not there to count them.
func openFDs() int {
	netpollOnce.Do(func() {
		if ln, err := net.Listen("tcp", "127.0.0.1:0"); err == nil {
			ln.Close()
		}
	})
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(es)
}

// runReal runs main on a loop with the real clock, as tests of I/O and
// signals need: an open connection, server or endpoint counts as I/O in
// flight, which holds a virtual clock still. It fails the test on a Run error, on a
// report to the exception handler, and on a goroutine or file descriptor
// that outlives the loop.
func runReal[T any](t *testing.T, main func(ctx context.Context) (T, error), opts ...asyncio.Option) T {
	t.Helper()
	leaks := noLeaks(t)
	fds := openFDs()
	failOnReport := asyncio.WithExceptionHandler(func(e *asyncio.Exception) {
		t.Errorf("unexpected report to the exception handler: %v", e)
	})
	v, err := asyncio.Run(main, append([]asyncio.Option{failOnReport}, opts...)...)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	// Goroutines first: a connection's descriptor is released once the
	// goroutine blocked reading it has returned.
	leaks()
	if fds >= 0 {
		if n := openFDs(); n > fds {
			t.Errorf("%d file descriptors open after Run, %d before", n, fds)
		}
	}
	return v
}

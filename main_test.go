package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
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

package futures_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/futures"
)

// TestMain serves worker processes, since the process pool tests start this
// test binary as their workers, plays the helper processes of some tests,
// and checks that no test leaks a goroutine.
func TestMain(m *testing.M) {
	futures.ServeIfWorker()
	// Under the race detector every process sleeps a second before it
	// exits (GORACE's atexit_sleep_ms), which would make each worker's
	// shutdown take that long. Workers inherit this environment.
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	for env, helper := range helpers {
		if os.Getenv(env) != "" {
			helper() // does not return
		}
	}
	goleak.VerifyTestMain(m)
}

// hangLimit bounds the waits for what used to hang: far longer than any of
// them takes when it works, so reaching it means a hang, not slowness.
const hangLimit = time.Minute

// skipHuge skips a test that moves hundreds of megabytes, in short mode and
// under the race detector, which makes it take minutes.
func skipHuge(t *testing.T) {
	t.Helper()
	if testing.Short() || raceEnabled {
		t.Skip("moves hundreds of megabytes")
	}
}

// helpers maps an environment variable to what the test binary does,
// instead of running tests, when a test starts it with that variable set.
var helpers = map[string]func(){}

// mustPanic calls fn and returns the value it panicked with, failing the
// test if it returned normally.
func mustPanic(t *testing.T, fn func()) (p any) {
	t.Helper()
	defer func() { p = recover() }()
	fn()
	t.Fatal("did not panic")
	return nil
}

// A gate is a function for Submit that reports on started when it begins
// and returns once release is closed.
type gate struct {
	started chan struct{}
	release chan struct{}
}

func newGate() *gate {
	return &gate{started: make(chan struct{}, 1), release: make(chan struct{})}
}

func (g *gate) fn() (string, error) {
	g.started <- struct{}{}
	<-g.release
	return "released", nil
}

func (g *gate) open() { close(g.release) }

package cluster_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/futures/cluster"
)

// TestMain serves as a cluster worker when a test starts this binary as
// one, and checks that no test leaks a goroutine.
func TestMain(m *testing.M) {
	cluster.ServeIfWorker()
	os.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	goleak.VerifyTestMain(m)
}

// hangLimit bounds the waits for what used to hang: far longer than any of
// them takes when it works, so reaching it means a hang, not slowness.
const hangLimit = time.Minute

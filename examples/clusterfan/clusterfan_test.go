package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/futures/cluster"
)

// TestMain serves as a worker when run starts the test binary as one, and
// checks that no test leaks a goroutine.
func TestMain(m *testing.M) {
	cluster.ServeIfWorker()
	goleak.VerifyTestMain(m)
}

// The example's run completes every call, with or without a worker killed
// in the middle, on the server that GOASYNCIO_NATS_SERVER names (CI sets
// it to Debian's nats-server) or else the embedded one.
func TestRun(t *testing.T) {
	for _, kill := range []bool{false, true} {
		t.Run(map[bool]string{false: "all workers live", true: "one worker killed"}[kill], func(t *testing.T) {
			var out strings.Builder
			cfg := config{serverBin: os.Getenv("GOASYNCIO_NATS_SERVER"), workers: 3, concurrency: 2, calls: 60,
				work: 10 * time.Millisecond, lease: time.Second, kill: kill, stdout: &out, stderr: os.Stderr,
				command: func() *exec.Cmd { return exec.Command(os.Args[0], "-test.run=^$") }}
			sum, err := run(context.Background(), cfg)
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			if sum.completed != cfg.calls || !strings.Contains(out.String(), "all 60 calls completed with the right answer") {
				t.Errorf("%d of %d calls completed:\n%s", sum.completed, cfg.calls, out.String())
			}
			if len(sum.byWorker) < 2 {
				t.Errorf("answers came from %v; want the work spread over the workers", sum.byWorker)
			}
			if kill && (sum.killed == 0 || sum.reattempted == 0) {
				t.Errorf("killed worker %d, %d calls ran again; want a worker killed while it held calls", sum.killed, sum.reattempted)
			}
			if !kill && (sum.killed != 0 || sum.reattempted != 0) {
				t.Errorf("killed worker %d, %d calls ran again; want neither", sum.killed, sum.reattempted)
			}
		})
	}
}

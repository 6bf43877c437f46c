// Command clusterfan fans work out to worker processes through a NATS
// JetStream server with package futures/cluster, and kills one of the
// workers with SIGKILL in the middle of the run to show that every call
// still completes: the calls the dead worker held go to the others once
// their lease runs out.
//
//	go run ./examples/clusterfan
//
// starts a nats-server on a free port of 127.0.0.1 (the nats-server binary
// on PATH, such as Debian's, or else the server embedded in this program),
// three workers (this program again, with GOASYNCIO_CLUSTER_WORKER set) and
// sends them 60 calls. With -url it uses a server that runs already. It
// exits with status 1 if a call failed or returned a wrong result.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/goasyncio/asyncio/futures/cluster"
)

func main() {
	cluster.ServeIfWorker() // a worker serves here until SIGTERM and exits
	cfg := config{stdout: os.Stdout, stderr: os.Stderr}
	flag.StringVar(&cfg.url, "url", "", "a NATS server with JetStream to use (default: start one)")
	flag.StringVar(&cfg.serverBin, "nats-server", "", `the nats-server binary to start, or "embedded" (default: the one on PATH, else embedded)`)
	flag.IntVar(&cfg.workers, "workers", 3, "worker processes")
	flag.IntVar(&cfg.concurrency, "concurrency", 2, "calls each worker runs at once")
	flag.IntVar(&cfg.calls, "calls", 60, "calls to make")
	flag.DurationVar(&cfg.work, "work", 50*time.Millisecond, "how long each call works")
	flag.DurationVar(&cfg.lease, "lease", 2*time.Second, "how long a dead worker's calls wait before they go to another")
	flag.BoolVar(&cfg.kill, "kill", true, "kill one worker with SIGKILL in the middle of the run")
	flag.Parse()
	switch cfg.serverBin {
	case "":
		cfg.findServer()
	case "embedded":
		cfg.serverBin = ""
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if _, err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "clusterfan:", err)
		os.Exit(1)
	}
}

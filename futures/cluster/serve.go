package cluster

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

// The environment of a worker started by ServeIfWorker.
const (
	// WorkerEnv names the variable that makes ServeIfWorker serve: the URL
	// of the NATS server.
	WorkerEnv = "GOASYNCIO_CLUSTER_WORKER"
	// QueueEnv names the variable that gives the queue, if not the default.
	QueueEnv = "GOASYNCIO_CLUSTER_QUEUE"
	// ConcurrencyEnv names the variable that gives the worker's
	// Concurrency, if not the default.
	ConcurrencyEnv = "GOASYNCIO_CLUSTER_CONCURRENCY"
)

// ServeIfWorker makes the program usable as a cluster worker, as
// futures.ServeIfWorker does for a process pool: if the environment
// variable WorkerEnv holds a URL, it serves the queue there (QueueEnv and
// ConcurrencyEnv may set the options) until the process receives SIGTERM
// or SIGINT, then drains as Serve does and exits the process, without
// returning; otherwise it returns at once. It belongs first thing in main:
//
//	func main() {
//		futures.ServeIfWorker()
//		cluster.ServeIfWorker()
//		...
//	}
//
// so that the same binary is started as a worker by
// GOASYNCIO_CLUSTER_WORKER=nats://host:4222 ./program.
func ServeIfWorker() {
	url := os.Getenv(WorkerEnv)
	if url == "" {
		return
	}
	os.Unsetenv(WorkerEnv)
	opts := &WorkerOptions{Queue: os.Getenv(QueueEnv)}
	if s := os.Getenv(ConcurrencyEnv); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "futures/cluster: %s=%q: want a whole number of at least 1\n", ConcurrencyEnv, s)
			os.Exit(2)
		}
		opts.Concurrency = n
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := Serve(ctx, url, opts); err != nil {
		fmt.Fprintf(os.Stderr, "futures/cluster: worker %d: %v\n", os.Getpid(), err)
		os.Exit(1)
	}
	os.Exit(0)
}

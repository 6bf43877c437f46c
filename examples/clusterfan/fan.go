package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/futures/cluster"
	"github.com/goasyncio/asyncio/internal/natsserver"
)

// A job asks for the number of steps n takes to reach 1 in the Collatz
// sequence, after a pause that stands for real work.
type job struct {
	N    int           `json:"n"`
	Work time.Duration `json:"work"`
}

// An answer is a job's result, with the process that computed it.
type answer struct {
	N      int `json:"n"`
	Steps  int `json:"steps"`
	Worker int `json:"worker"`
}

// collatz is the function the workers run: registered as the program
// starts, in the program that makes the calls and in every worker, which
// is the same program.
var collatz = futures.Register("clusterfan.collatz", func(j job) (answer, error) {
	time.Sleep(j.Work)
	return answer{N: j.N, Steps: steps(j.N), Worker: os.Getpid()}, nil
})

func steps(n int) int {
	s := 0
	for ; n > 1; s++ {
		if n%2 == 0 {
			n /= 2
		} else {
			n = 3*n + 1
		}
	}
	return s
}

// A config is what the command line sets.
type config struct {
	url, serverBin       string
	workers, concurrency int
	calls                int
	work, lease          time.Duration
	kill                 bool
	stdout, stderr       io.Writer
	// command returns the command that starts this program; nil means
	// os.Executable. Tests start the test binary instead.
	command func() *exec.Cmd
}

// findServer picks the nats-server binary on PATH, if there is one.
func (c *config) findServer() {
	if p, err := exec.LookPath("nats-server"); err == nil {
		c.serverBin = p
	}
}

// A summary is what a run did.
type summary struct {
	completed   int         // calls that returned the right answer
	byWorker    map[int]int // answers per worker process ID
	killed      int         // the worker killed, or 0
	reattempted uint64      // calls that ran again after their worker died
}

// run starts a server unless cfg names one, starts the workers, makes the
// calls, kills a worker after a quarter of them if cfg says so, and checks
// every answer.
func run(ctx context.Context, cfg config) (summary, error) {
	url := cfg.url
	if url == "" {
		srv, err := startServer(cfg)
		if err != nil {
			return summary{}, err
		}
		defer srv.stop()
		url = srv.URL()
	}
	queue := fmt.Sprintf("clusterfan-%d", os.Getpid()) // so that runs on one server never meet
	defer removeQueue(url, queue)
	e, err := cluster.Dial(ctx, url, &cluster.Options{Queue: queue, Lease: cfg.lease})
	if err != nil {
		return summary{}, err
	}
	defer e.Close()
	ws, err := startWorkers(cfg, url, queue)
	defer ws.stop()
	if err != nil {
		return summary{}, err
	}
	if err := waitForWorkers(ctx, e, len(ws)); err != nil {
		return summary{}, err
	}
	fmt.Fprintf(cfg.stdout, "%d workers, processes %v, running %d calls at once each; a lease of %v\n",
		len(ws), ws.pids(), cfg.concurrency, cfg.lease)
	sum, err := fanOut(ctx, cfg, e, ws)
	if err != nil {
		return sum, err
	}
	e.Shutdown(true)
	report(cfg.stdout, cfg, sum)
	fmt.Fprintln(cfg.stdout, "stopping the workers with SIGTERM: each finishes what it runs, then exits")
	ws.stop()
	return sum, nil
}

// fanOut makes the calls and takes their answers as they come.
func fanOut(ctx context.Context, cfg config, e *cluster.Executor, ws workers) (summary, error) {
	start := time.Now()
	fs := make([]*futures.Future[answer], cfg.calls)
	for i := range fs {
		fs[i] = cluster.Call(e, collatz, job{N: i + 1, Work: cfg.work})
	}
	sum := summary{byWorker: make(map[int]int)}
	var errs []error
	done := 0
	for f := range futures.AsCompleted(ctx, fs) {
		done++
		a, err := f.Result()
		switch {
		case err != nil:
			errs = append(errs, err)
		case a.Steps != steps(a.N):
			errs = append(errs, fmt.Errorf("collatz(%d) = %d steps from process %d, want %d", a.N, a.Steps, a.Worker, steps(a.N)))
		default:
			sum.completed++
			sum.byWorker[a.Worker]++
		}
		if done%10 == 0 || done == cfg.calls {
			fmt.Fprintf(cfg.stdout, "%6.2fs  %d of %d calls done\n", time.Since(start).Seconds(), done, cfg.calls)
		}
		if cfg.kill && sum.killed == 0 && err == nil && done >= cfg.calls/4 {
			sum.killed = a.Worker // it has just answered, so it is alive and busy
			ws.kill(sum.killed)
			fmt.Fprintf(cfg.stdout, "%6.2fs  killed worker %d with SIGKILL while it ran calls\n", time.Since(start).Seconds(), sum.killed)
		}
	}
	if done < cfg.calls {
		return sum, fmt.Errorf("stopped with %d of %d calls done: %w", done, cfg.calls, ctx.Err())
	}
	st, err := e.Stats(ctx)
	if err != nil {
		return sum, err
	}
	sum.reattempted = st.Reattempted
	return sum, errors.Join(errs...)
}

// waitForWorkers waits until n workers ask the server for calls, so that
// the first to start does not take them all.
func waitForWorkers(ctx context.Context, e *cluster.Executor, n int) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		st, err := e.Stats(ctx)
		if err == nil && st.Waiting >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d workers to ask for calls: %w", n, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// report prints what the run did.
func report(w io.Writer, cfg config, sum summary) {
	fmt.Fprintf(w, "all %d calls completed with the right answer\n", sum.completed)
	for _, pid := range slices.Sorted(maps.Keys(sum.byWorker)) {
		note := ""
		if pid == sum.killed {
			note = " before it was killed"
		}
		fmt.Fprintf(w, "  worker %d answered %d%s\n", pid, sum.byWorker[pid], note)
	}
	if sum.killed != 0 {
		fmt.Fprintf(w, "%d calls ran again on another worker after the killed one's lease of %v ran out\n", sum.reattempted, cfg.lease)
	}
}

// A server is the nats-server that run started.
type server struct {
	*natsserver.Server
	dir string
}

func startServer(cfg config) (*server, error) {
	dir, err := os.MkdirTemp("", "clusterfan-")
	if err != nil {
		return nil, err
	}
	srv, err := natsserver.Start(cfg.serverBin, dir, 0)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	fmt.Fprintf(cfg.stdout, "%s listens on %s\n", srv.Version(), srv.URL())
	return &server{srv, dir}, nil
}

func (s *server) stop() {
	s.Stop()
	os.RemoveAll(s.dir)
}

// removeQueue deletes the streams of the queue from the server, where
// they would otherwise stay.
func removeQueue(url, queue string) {
	nc, err := nats.Connect(url)
	if err != nil {
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	js.DeleteStream(ctx, queue+"-calls")
	js.DeleteStream(ctx, queue+"-results")
}

// Command goclient is goasyncio's side of bench/cluster: it starts worker
// processes (itself, in worker mode) on a NATS server, makes a burst of
// no-op calls and then calls one at a time, and prints one JSON line with
// the calls per second of the burst and the latencies of the single calls.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/futures/cluster"
)

var noop = futures.Register("bench.noop", func(x int) (int, error) { return x, nil })

func main() {
	cluster.ServeIfWorker()
	url := flag.String("url", "nats://127.0.0.1:4222", "the NATS server")
	calls := flag.Int("calls", 10000, "calls in the burst")
	seq := flag.Int("seq", 1000, "calls one at a time")
	workers := flag.Int("workers", 2, "worker processes")
	concurrency := flag.Int("concurrency", 0, "calls each worker runs at once (0: the number of CPUs)")
	name := flag.String("name", "goasyncio", "the system's name in the report")
	flag.Parse()
	if err := run(*name, *url, *calls, *seq, *workers, *concurrency); err != nil {
		fmt.Fprintln(os.Stderr, "goclient:", err)
		os.Exit(1)
	}
}

// A report is the JSON line bench/cluster/run reads.
type report struct {
	System         string  `json:"system"`
	Version        string  `json:"version"`
	Workers        int     `json:"workers"`
	Concurrency    int     `json:"concurrency"`
	BurstCalls     int     `json:"burst_calls"`
	BurstCallsPerS float64 `json:"burst_calls_per_s"`
	BurstS         float64 `json:"burst_s"`
	SubmitS        float64 `json:"submit_s"`
	SeqCalls       int     `json:"seq_calls"`
	P50ms          float64 `json:"p50_ms"`
	P99ms          float64 `json:"p99_ms"`
}

func run(name, url string, calls, seq, workers, concurrency int) error {
	queue := "bench-" + strconv.Itoa(os.Getpid())
	if concurrency == 0 {
		concurrency = runtime.NumCPU()
	}
	ctx := context.Background()
	e, err := cluster.Dial(ctx, url, &cluster.Options{Queue: queue})
	if err != nil {
		return err
	}
	defer removeQueue(url, queue)
	defer e.Close()
	stop, err := startWorkers(url, queue, workers, concurrency)
	if err != nil {
		return err
	}
	defer stop()
	for i := range 200 { // warm up
		if err := check(cluster.Call(e, noop, i), i); err != nil {
			return err
		}
	}
	r := report{System: name, Version: runtime.Version(), Workers: workers, Concurrency: concurrency, BurstCalls: calls, SeqCalls: seq}
	start := time.Now()
	fs := make([]*futures.Future[int], calls)
	for i := range fs {
		fs[i] = cluster.Call(e, noop, i)
	}
	r.SubmitS = time.Since(start).Seconds()
	for i, f := range fs {
		if err := check(f, i); err != nil {
			return err
		}
	}
	r.BurstS = time.Since(start).Seconds()
	r.BurstCallsPerS = float64(calls) / r.BurstS
	lat := make([]time.Duration, seq)
	for i := range lat {
		t := time.Now()
		if err := check(cluster.Call(e, noop, i), i); err != nil {
			return err
		}
		lat[i] = time.Since(t)
	}
	slices.Sort(lat)
	r.P50ms = ms(lat[len(lat)/2])
	r.P99ms = ms(lat[len(lat)*99/100])
	return json.NewEncoder(os.Stdout).Encode(r)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func check(f *futures.Future[int], want int) error {
	v, err := f.ResultTimeout(time.Minute)
	if err != nil || v != want {
		return fmt.Errorf("call returned %v, %v; want %d", v, err, want)
	}
	return nil
}

// startWorkers starts n worker processes and returns a function that
// stops them with SIGTERM and reaps them.
func startWorkers(url, queue string, n, concurrency int) (stop func(), err error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var cmds []*exec.Cmd
	stop = func() {
		for _, c := range cmds {
			c.Process.Signal(syscall.SIGTERM)
		}
		for _, c := range cmds {
			c.Wait()
		}
	}
	for range n {
		c := exec.Command(self)
		c.Env = append(os.Environ(), cluster.WorkerEnv+"="+url, cluster.QueueEnv+"="+queue,
			cluster.ConcurrencyEnv+"="+strconv.Itoa(concurrency))
		c.Stderr = os.Stderr
		c.SysProcAttr = workerAttr()
		if err := c.Start(); err != nil {
			stop()
			return nil, err
		}
		cmds = append(cmds, c)
	}
	return stop, nil
}

// removeQueue deletes the streams of the run's queue.
func removeQueue(url, queue string) {
	nc, err := nats.Connect(url)
	if err != nil {
		return
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	js.DeleteStream(ctx, queue+"-calls")
	js.DeleteStream(ctx, queue+"-results")
}

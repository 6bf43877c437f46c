package main

import (
	"bufio"
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/goasyncio/asyncio/bench/internal/record"
)

// A workload is one benchmark as one runtime implements it.
type workload struct {
	// n is the number of operations at scale 1.
	n int
	// impl says in a few words how the runtime does the work.
	impl string
	// cold marks a workload that runs once, without warm-up: W3m, whose
	// memory figure a warm-up would distort, and W1c, which measures the
	// first burst of tasks in a fresh process.
	cold bool
	// run runs the workload p.warmup times, then once timed, and returns
	// the outcome and wall time of the timed run. An error means the run
	// failed or its result was wrong.
	run func(p params) (outcome, time.Duration, error)
}

// params are what a run is asked to do.
type params struct {
	n      int    // operations
	warmup int    // untimed runs before the timed one
	url    string // for W7, the URL to request
}

// An outcome is what a run reports beside its wall time.
type outcome struct {
	check        string  // the check that passed, for the record
	bytesPerTask float64 // W3m only
}

// measure runs w and describes the timed run.
func (w workload) measure(runtime, id string, p params) *record.Record {
	if w.cold {
		p.warmup = 0
	}
	rec := &record.Record{Runtime: runtime, Workload: id, Impl: w.impl, Ops: int64(p.n)}
	out, wall, err := w.run(p)
	rec.RSSPeak = peakRSS()
	if err != nil {
		rec.Check = err.Error()
		return rec
	}
	rec.OK = true
	rec.Check = out.check
	rec.WallNS = wall.Nanoseconds()
	rec.NSPerOp = float64(rec.WallNS) / float64(p.n)
	rec.BytesPerTask = out.bytesPerTask
	return rec
}

// timed calls body warmup times, then once more, and returns the last
// call's outcome and wall time. It stops at the first error.
func timed(warmup int, body func() (outcome, error)) (outcome, time.Duration, error) {
	for range warmup {
		if _, err := body(); err != nil {
			return outcome{}, 0, err
		}
	}
	start := time.Now()
	out, err := body()
	return out, time.Since(start), err
}

// plainRun adapts a body that needs no event loop to workload.run.
func plainRun(body func(p params) (outcome, error)) func(params) (outcome, time.Duration, error) {
	return func(p params) (outcome, time.Duration, error) {
		return timed(p.warmup, func() (outcome, error) { return body(p) })
	}
}

// sumTo returns 0 + 1 + ... + n-1, the sum of n task indices.
func sumTo(n int) int { return n * (n - 1) / 2 }

// timerDurations returns the n sleep durations of W3, in [0, 1 s) with a
// resolution of a microsecond. They come from the 32-bit linear congruential
// generator of Numerical Recipes (a = 1664525, c = 1013904223, seed 1), which
// the Python and Node.js programs use as well, so that every runtime sleeps
// the same sequence.
func timerDurations(n int) []time.Duration {
	ds := make([]time.Duration, n)
	state := uint32(1)
	for i := range ds {
		state = state*1664525 + 1013904223
		ds[i] = time.Duration(uint64(state)*1_000_000>>32) * time.Microsecond
	}
	return ds
}

// residentBytes returns the process's resident set size after a garbage
// collection that returns freed memory to the operating system: the Go
// counterpart of gc.collect() before reading the RSS in Python.
func residentBytes() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	return procStatus("VmRSS:")
}

// peakRSS returns the process's peak resident set size.
func peakRSS() int64 { return procStatus("VmHWM:") }

// procStatus returns the size in bytes that /proc/self/status gives for key,
// or 0 if it cannot be read.
func procStatus(key string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte(key))
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}

// Command gobench runs one benchmark workload with goasyncio or with plain
// goroutines and channels, and prints its outcome as one JSON line (see
// package bench/internal/record). bench/run calls it once per repetition,
// runtime and workload, beside the Python and Node.js programs that do the
// same work.
//
// Usage:
//
//	gobench [-runtime goasyncio|go] [-warmup N] [-scale F] [-url URL] [-cpuprofile FILE] WORKLOAD
//
// WORKLOAD is one of W1 (spawn), W1c (spawn in a fresh process), W2
// (ping-pong), W3 (timers), W3m (memory per parked task), W4 (executor), W5
// (switch), W6 (future) and W7 (HTTP fan-out, which needs -url). The
// workload runs -warmup times untimed, then once timed, in the same process;
// W1c and W3m always run once, cold. The exit
// status is 0 when the run's result checked out, 1 when it did not, 2 for a
// usage error.
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
)

// suites maps each runtime to its workloads by ID.
var suites = map[string]map[string]workload{
	"goasyncio": goasyncioSuite,
	"go":        plainSuite,
}

func main() {
	os.Exit(run())
}

// run runs the workload the command line names and returns the exit status.
func run() int {
	rt := flag.String("runtime", "goasyncio", "the implementation: goasyncio, or go for the plain-Go floor")
	warmup := flag.Int("warmup", 1, "untimed runs before the timed one")
	scale := flag.Float64("scale", 1, "multiply the workload's size by this factor, for smoke tests")
	url := flag.String("url", "", "the loopback URL that W7 requests")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Usage = usage
	flag.Parse()

	suite, ok := suites[*rt]
	if !ok || flag.NArg() != 1 || *warmup < 0 || *scale <= 0 {
		usage()
		return 2
	}
	id := flag.Arg(0)
	w, ok := suite[id]
	if !ok {
		fmt.Fprintf(os.Stderr, "gobench: runtime %s has no workload %q\n", *rt, id)
		return 2
	}
	if id == "W7" && *url == "" {
		fmt.Fprintln(os.Stderr, "gobench: W7 needs -url")
		return 2
	}
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gobench:", err)
			return 1
		}
		defer stop()
	}

	p := params{n: max(1, int(float64(w.n)*(*scale))), url: *url, warmup: *warmup}
	rec := w.measure(*rt, id, p)
	if err := rec.Write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gobench:", err)
		return 1
	}
	if !rec.OK {
		fmt.Fprintf(os.Stderr, "gobench: %s %s: %s\n", *rt, id, rec.Check)
		return 1
	}
	return 0
}

// startCPUProfile starts writing a CPU profile to the file named name, and
// returns the function that stops it.
func startCPUProfile(name string) (stop func(), err error) {
	f, err := os.Create(name)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "gobench:", err)
		}
	}, nil
}

func usage() {
	fmt.Fprint(os.Stderr, "usage: gobench [-runtime goasyncio|go] [-warmup N] [-scale F] [-url URL] [-cpuprofile FILE] WORKLOAD\n\nworkloads:\n")
	for _, rt := range slices.Sorted(maps.Keys(suites)) {
		fmt.Fprintf(os.Stderr, "  %-10s %s\n", rt, strings.Join(slices.Sorted(maps.Keys(suites[rt])), " "))
	}
	fmt.Fprintln(os.Stderr, "\nflags:")
	flag.PrintDefaults()
}

package main

import (
	"context"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// plainSuite is the workloads written with goroutines and channels alone:
// the floor, what the Go runtime allows without an event loop.
var plainSuite = map[string]workload{
	"W1":  {n: 100_000, impl: "goroutines: runtime.Gosched() + WaitGroup", run: plainRun(spawnGoroutines)},
	"W1c": {n: 100_000, impl: "goroutines: runtime.Gosched() + WaitGroup, cold", cold: true, run: plainRun(spawnGoroutines)},
	"W2":  {n: 200_000, impl: "two goroutines, two channels (cap 1)", run: plainRun(channelPingPong)},
	"W3":  {n: 100_000, impl: "goroutines: time.Sleep(d) + WaitGroup", run: plainRun(sleepGoroutines)},
	"W3m": {n: 1_000_000, impl: "goroutines parked in time.Sleep(1h)", cold: true, run: plainRun(parkGoroutines)},
	"W4":  {n: 100_000, impl: "8 worker goroutines draining a channel of funcs", run: plainRun(workerCalls)},
	"W5":  {n: 1_000_000, impl: "iter.Pull: next/yield coroutine switch", run: plainRun(pullSwitches)},
	"W6":  {n: 1_000_000, impl: "a channel (cap 1) per op: send, receive", run: plainRun(channelFutures)},
	"W7":  {n: 10_000, impl: "16 goroutines: net/http Get", run: plainRun(fetchGoroutines)},
}

// spawnGoroutines is W1: p.n goroutines each yield the processor once and
// store their index; the caller waits for all and checks the sum.
func spawnGoroutines(p params) (outcome, error) {
	vals := make([]int, p.n)
	var wg sync.WaitGroup
	for i := range vals {
		wg.Go(func() {
			runtime.Gosched()
			vals[i] = i
		})
	}
	wg.Wait()
	return checkSum(vals, sumTo(p.n))
}

// channelPingPong is W2: a driver goroutine and an echo goroutine bounce a
// counter through two channels p.n times.
func channelPingPong(p params) (outcome, error) {
	ping, pong := make(chan int, 1), make(chan int, 1)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
	}()
	sum := make(chan int)
	go func() {
		s := 0
		for i := range p.n {
			ping <- i
			s += <-pong
		}
		close(ping)
		sum <- s
	}()
	return checkSum([]int{<-sum}, sumTo(p.n+1))
}

// sleepGoroutines is W3: p.n goroutines each sleep for one of
// timerDurations and store their index.
func sleepGoroutines(p params) (outcome, error) {
	vals := make([]int, p.n)
	var wg sync.WaitGroup
	for i, d := range timerDurations(p.n) {
		wg.Go(func() {
			time.Sleep(d)
			vals[i] = i
		})
	}
	wg.Wait()
	return checkSum(vals, sumTo(p.n))
}

// parkGoroutines is W3m: it parks p.n goroutines in a long time.Sleep and
// reports the growth of the resident set per goroutine. The goroutines end
// with the process.
func parkGoroutines(p params) (outcome, error) {
	before := residentBytes()
	var started sync.WaitGroup
	var parked atomic.Int64
	started.Add(p.n)
	for range p.n {
		go func() {
			parked.Add(1)
			started.Done()
			time.Sleep(time.Hour)
		}()
	}
	started.Wait()
	// Give the last goroutines time to go from Done to Sleep.
	time.Sleep(100 * time.Millisecond)
	during := residentBytes()
	if n := parked.Load(); n != int64(p.n) {
		return outcome{}, fmt.Errorf("%d goroutines parked, want %d", n, p.n)
	}
	return outcome{
		check:        fmt.Sprintf("%d goroutines parked", p.n),
		bytesPerTask: float64(during-before) / float64(p.n),
	}, nil
}

// workerCalls is W4: p.n trivial functions, each returning its index, sent
// over a channel to 8 worker goroutines that store the results.
func workerCalls(p params) (outcome, error) {
	type call struct {
		i  int
		fn func() int
	}
	vals := make([]int, p.n)
	calls := make(chan call, 1024)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for c := range calls {
				vals[c.i] = c.fn()
			}
		})
	}
	for i := range p.n {
		calls <- call{i, func() int { return i }}
	}
	close(calls)
	wg.Wait()
	return checkSum(vals, sumTo(p.n))
}

// pullSwitches is W5: the caller and an iter.Pull sequence switch to each
// other p.n times in all, each call of next being two switches.
func pullSwitches(p params) (outcome, error) {
	next, stop := iter.Pull(func(yield func(int) bool) {
		for i := 0; yield(i); i++ {
		}
	})
	defer stop()
	sum := 0
	for range p.n / 2 {
		v, _ := next()
		sum += v
	}
	return checkSum([]int{sum}, sumTo(p.n/2))
}

// channelFutures is W6: p.n times, make a channel of capacity 1 (the Go
// stand-in for a future), send a value on it and receive it.
func channelFutures(p params) (outcome, error) {
	sum := 0
	for i := range p.n {
		f := make(chan int, 1)
		f <- i
		sum += <-f
	}
	return checkSum([]int{sum}, sumTo(p.n))
}

// fetchGoroutines is W7: 16 goroutines share p.n requests to p.url.
func fetchGoroutines(p params) (outcome, error) {
	var next atomic.Int64
	counts := make([]int, httpInFlight)
	errs := make([]error, httpInFlight)
	var wg sync.WaitGroup
	for w := range httpInFlight {
		wg.Go(func() {
			for next.Add(1) <= int64(p.n) {
				if errs[w] = get(context.Background(), p.url); errs[w] != nil {
					return
				}
				counts[w]++
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return outcome{}, err
		}
	}
	return checkCount(counts, p.n)
}

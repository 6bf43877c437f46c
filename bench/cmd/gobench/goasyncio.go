package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/greenlet"
)

// goasyncioSuite is the workloads as a user of this module writes them.
var goasyncioSuite = map[string]workload{
	"W1":  {n: 100_000, impl: "CreateTask + Sleep(0) + Gather", run: loopRun(spawnTasks)},
	"W1c": {n: 100_000, impl: "CreateTask + Sleep(0) + Gather, cold", cold: true, run: loopRun(spawnTasks)},
	"W2":  {n: 200_000, impl: "two tasks, two Queues: PutNowait / Get", run: loopRun(queuePingPong)},
	"W3":  {n: 100_000, impl: "CreateTask + Sleep(d) + Gather", run: loopRun(sleepTasks)},
	"W3m": {n: 1_000_000, impl: "tasks parked in Sleep(1h)", cold: true, run: loopRun(parkTasks)},
	"W4":  {n: 100_000, impl: "RunInExecutor on futures.NewThreadPool(8) + Gather", run: loopRun(executorCalls)},
	"W5":  {n: 1_000_000, impl: "greenlet package: two greenlets Switch", run: plainRun(greenletSwitches)},
	"W6":  {n: 1_000_000, impl: "CreateFuture + SetResult + Await", run: loopRun(futureRoundTrips)},
	"W7":  {n: 10_000, impl: "16 tasks: ToThread(net/http Get), 16-worker default executor", run: loopRun(fetchAll)},
}

// loopRun adapts a body that runs in a task to workload.run: the warm-up
// runs and the timed one happen in the main task of one loop, as a program
// would run them.
func loopRun(body func(ctx context.Context, p params) (outcome, error)) func(params) (outcome, time.Duration, error) {
	type result struct {
		out  outcome
		wall time.Duration
	}
	return func(p params) (outcome, time.Duration, error) {
		r, err := asyncio.Run(func(ctx context.Context) (result, error) {
			out, wall, err := timed(p.warmup, func() (outcome, error) { return body(ctx, p) })
			return result{out, wall}, err
		})
		return r.out, r.wall, err
	}
}

// spawnTasks is W1: p.n tasks each yield once with Sleep(0) and return
// their index; the main task gathers them and checks the sum.
func spawnTasks(ctx context.Context, p params) (outcome, error) {
	tasks := make([]asyncio.Awaitable[int], p.n)
	for i := range tasks {
		tasks[i] = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return i, asyncio.Sleep(ctx, 0)
		})
	}
	vals, err := asyncio.Gather(ctx, tasks...)
	if err != nil {
		return outcome{}, err
	}
	return checkSum(vals, sumTo(p.n))
}

// queuePingPong is W2: a driver task and an echo task bounce a counter
// through two queues p.n times; the driver checks the replies.
func queuePingPong(ctx context.Context, p params) (outcome, error) {
	var ping, pong asyncio.Queue[int]
	echo := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
		for {
			v, err := ping.Get(ctx)
			if err != nil || v < 0 {
				return 0, err
			}
			if err := pong.PutNowait(v + 1); err != nil {
				return 0, err
			}
		}
	})
	driver := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
		sum := 0
		for i := range p.n {
			if err := ping.PutNowait(i); err != nil {
				return 0, err
			}
			v, err := pong.Get(ctx)
			if err != nil {
				return 0, err
			}
			sum += v
		}
		return sum, ping.PutNowait(-1)
	})
	vals, err := asyncio.Gather(ctx, driver, echo)
	if err != nil {
		return outcome{}, err
	}
	return checkSum(vals, sumTo(p.n+1))
}

// sleepTasks is W3: p.n tasks each sleep for one of timerDurations and
// return their index.
func sleepTasks(ctx context.Context, p params) (outcome, error) {
	tasks := make([]asyncio.Awaitable[int], p.n)
	for i, d := range timerDurations(p.n) {
		tasks[i] = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return i, asyncio.Sleep(ctx, d)
		})
	}
	vals, err := asyncio.Gather(ctx, tasks...)
	if err != nil {
		return outcome{}, err
	}
	return checkSum(vals, sumTo(p.n))
}

// parkTasks is W3m: it parks p.n tasks in a long Sleep and reports the
// growth of the resident set per task, then cancels them.
func parkTasks(ctx context.Context, p params) (outcome, error) {
	before := residentBytes()
	parked := 0
	tasks := make([]*asyncio.Task[struct{}], 0, p.n)
	for range p.n {
		tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
			parked++
			return struct{}{}, asyncio.Sleep(ctx, time.Hour)
		}))
	}
	// The new tasks run first in, first out, before the main task resumes.
	if err := asyncio.Sleep(ctx, 0); err != nil {
		return outcome{}, err
	}
	during := residentBytes()
	if parked != p.n {
		return outcome{}, fmt.Errorf("%d tasks parked, want %d", parked, p.n)
	}
	for _, t := range tasks {
		t.Cancel()
	}
	for _, t := range tasks {
		if _, err := asyncio.Await(ctx, t); !errors.Is(err, asyncio.ErrCancelled) {
			return outcome{}, fmt.Errorf("a parked task ended with %v, want cancellation", err)
		}
	}
	return outcome{
		check:        fmt.Sprintf("%d tasks parked and cancelled", p.n),
		bytesPerTask: float64(during-before) / float64(p.n),
	}, nil
}

// executorPool is W4's executor, shared by the warm-up and timed runs as
// a program would share it.
var executorPool = futures.NewThreadPool(8)

// executorCalls is W4: p.n trivial functions, each returning its index,
// run on 8 worker goroutines and gathered.
func executorCalls(ctx context.Context, p params) (outcome, error) {
	fs := make([]asyncio.Awaitable[int], p.n)
	for i := range fs {
		fs[i] = asyncio.RunInExecutor(ctx, executorPool, func() (int, error) { return i, nil })
	}
	vals, err := asyncio.Gather(ctx, fs...)
	if err != nil {
		return outcome{}, err
	}
	return checkSum(vals, sumTo(p.n))
}

// greenletSwitches is W5: two greenlets switch to each other p.n times in
// all, and the second counts the switches it received.
func greenletSwitches(p params) (outcome, error) {
	var ping, pong *greenlet.Greenlet
	received := 0
	ping = greenlet.New(func(...any) any {
		for range p.n / 2 {
			pong.Switch()
		}
		return nil
	})
	pong = greenlet.New(func(...any) any {
		for {
			received++
			ping.Switch()
		}
	})
	ping.Switch() // returns when ping's run does
	pong.Kill()
	if received != p.n/2 {
		return outcome{}, fmt.Errorf("pong ran %d times, want %d", received, p.n/2)
	}
	return outcome{check: fmt.Sprintf("%d switches", 2*received)}, nil
}

// futureRoundTrips is W6: in one task, p.n times, create a future, resolve
// it and await it.
func futureRoundTrips(ctx context.Context, p params) (outcome, error) {
	sum := 0
	for i := range p.n {
		f := asyncio.CreateFuture[int](ctx)
		f.SetResult(i)
		v, err := asyncio.Await(ctx, f)
		if err != nil {
			return outcome{}, err
		}
		sum += v
	}
	return checkSum([]int{sum}, sumTo(p.n))
}

// httpPool is W7's default executor. ToThread needs a goroutine for each
// request in flight, and the pool a loop makes has min(32, NumCPU+4)
// workers, as Python's has: 6 on two cores.
var httpPool = futures.NewThreadPool(httpInFlight)

// fetchAll is W7: 16 tasks share p.n requests to p.url, each made with
// net/http on the loop's default executor through ToThread.
func fetchAll(ctx context.Context, p params) (outcome, error) {
	loop, err := asyncio.GetRunningLoop(ctx)
	if err != nil {
		return outcome{}, err
	}
	loop.SetDefaultExecutor(httpPool)

	next := 0 // tasks share it without a lock: they run one at a time
	worker := func(ctx context.Context) (int, error) {
		done := 0
		for next < p.n {
			next++
			if _, err := asyncio.ToThread(ctx, func() (struct{}, error) {
				return struct{}{}, get(ctx, p.url)
			}); err != nil {
				return done, err
			}
			done++
		}
		return done, nil
	}
	workers := make([]asyncio.Awaitable[int], httpInFlight)
	for i := range workers {
		workers[i] = asyncio.CreateTask(ctx, worker)
	}
	counts, err := asyncio.Gather(ctx, workers...)
	if err != nil {
		return outcome{}, err
	}
	return checkCount(counts, p.n)
}

// checkSum checks that vals add up to want.
func checkSum(vals []int, want int) (outcome, error) {
	sum := 0
	for _, v := range vals {
		sum += v
	}
	if sum != want {
		return outcome{}, fmt.Errorf("sum %d, want %d", sum, want)
	}
	return outcome{check: fmt.Sprintf("sum %d", sum)}, nil
}

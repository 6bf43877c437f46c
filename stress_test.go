package asyncio_test

import (
	"context"
	"errors"
	"flag"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// The stress tests run a scaled-down variant by default (and a smaller one
// under the race detector) so that CI stays fast; -stress.long runs them at
// full size:
//
//	go test -run Stress -stress.long -timeout 30m .
var stressLong = flag.Bool("stress.long", false, "run the stress tests at full size")

// stressSize picks the size of a stress test.
func stressSize(long, normal, race int) int {
	switch {
	case *stressLong:
		return long
	case raceEnabled || testing.Short():
		return race
	}
	return normal
}

// memInUse returns the heap and stack memory in use after a collection.
func memInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// lcg is a tiny deterministic random sequence, the same on every run.
type lcg uint64

func (g *lcg) next(n uint64) uint64 {
	*g = *g*6364136223846793005 + 1442695040888963407
	return uint64(*g>>33) % n
}

func TestStressManyTimers(t *testing.T) {
	n := stressSize(1_000_000, 100_000, 10_000)
	manyTimers(t, n) // warms up: the runtime keeps every goroutine descriptor it ever made
	baseline := memInUse()
	manyTimers(t, n)
	if after := memInUse(); after > baseline+8<<20 {
		t.Errorf("memory in use: %d MiB before, %d MiB after %d tasks; it must return to the baseline", baseline>>20, after>>20, n)
	}
}

// manyTimers runs n tasks that sleep pseudo-random times and checks that
// they all finish, in the order of their deadlines.
func manyTimers(t *testing.T, n int) {
	type wake struct {
		at time.Duration
		id int
	}
	wakes := make([]wake, 0, n)
	sum := run(t, func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		seq := lcg(42)
		tasks := make([]asyncio.Awaitable[int], n)
		for i := range tasks {
			d := time.Duration(seq.next(10_000)) * time.Millisecond
			tasks[i] = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				if err := asyncio.Sleep(ctx, d); err != nil {
					return 0, err
				}
				wakes = append(wakes, wake{l.Time(), i})
				return i, nil
			})
		}
		results, err := asyncio.Gather(ctx, tasks...)
		total := 0
		for _, r := range results {
			total += r
		}
		return total, err
	})
	if want := n * (n - 1) / 2; sum != want || len(wakes) != n {
		t.Fatalf("sum %d of %d results, want %d of %d", sum, len(wakes), want, n)
	}
	// Timers fire by deadline; equal deadlines in the order they were set,
	// which is the order the tasks were created.
	for i := 1; i < n; i++ {
		a, b := wakes[i-1], wakes[i]
		if b.at < a.at || (b.at == a.at && b.id < a.id) {
			t.Fatalf("task %d woke at %v after task %d at %v", b.id, b.at, a.id, a.at)
		}
	}
}

func TestStressCallSoonThreadsafe(t *testing.T) {
	goroutines, calls := 100, stressSize(10_000, 10_000, 1_000)
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	counts := make([]int, goroutines)
	inOrder := true
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				l.CallSoonThreadsafe(func() {
					inOrder = inOrder && counts[g] == i
					counts[g]++
				})
			}
		})
	}
	go func() {
		wg.Wait()
		l.CallSoonThreadsafe(l.Stop)
	}()
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	for g, c := range counts {
		if c != calls {
			t.Fatalf("goroutine %d: %d of %d callbacks ran", g, c, calls)
		}
	}
	if !inOrder {
		t.Error("callbacks of one goroutine ran out of order")
	}
}

// stormWorld is what the tasks of a cancellation storm share.
type stormWorld struct {
	futures []*asyncio.Future[int]
	queue   asyncio.Queue[int]
	lock    asyncio.Lock
	sem     *asyncio.Semaphore
	event   asyncio.Event
	release []chan struct{} // one per executor job
	got     int             // items taken from the queue
	put     int             // items put in it
	held    int             // tasks inside the lock: never more than 1
}

// stormTask returns the function of a task of kind k.
func (w *stormWorld) stormTask(k int, i int) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		switch k {
		case 0:
			return asyncio.Await(ctx, w.futures[i%len(w.futures)])
		case 1:
			v, err := w.queue.Get(ctx)
			if err == nil {
				w.got++
			}
			return v, err
		case 2:
			if err := w.lock.Acquire(ctx); err != nil {
				return 0, err
			}
			w.held++
			defer func() { w.held--; w.lock.Release() }()
			if w.held != 1 {
				return 0, errors.New("two tasks hold the lock")
			}
			return 0, asyncio.Sleep(ctx, time.Millisecond)
		case 3:
			if err := w.sem.Acquire(ctx); err != nil {
				return 0, err
			}
			defer w.sem.Release()
			return 0, asyncio.Sleep(ctx, time.Millisecond)
		case 4:
			release := w.release[i%len(w.release)]
			return asyncio.ToThread(ctx, func() (int, error) {
				select {
				case <-release:
				case <-ctx.Done():
				}
				return i, nil
			})
		case 5:
			return 0, w.event.Wait(ctx)
		}
		return 0, asyncio.Sleep(ctx, time.Duration(i%7)*time.Millisecond)
	}
}

func TestStressCancellationStorm(t *testing.T) {
	n := stressSize(100_000, 20_000, 2_000)
	run(t, func(ctx context.Context) (int, error) {
		rng := rand.New(rand.NewPCG(1, 2))
		w := &stormWorld{sem: asyncio.NewSemaphore(3), futures: make([]*asyncio.Future[int], 64), release: make([]chan struct{}, 16)}
		for i := range w.futures {
			w.futures[i] = asyncio.CreateFuture[int](ctx)
		}
		for i := range w.release {
			w.release[i] = make(chan struct{})
		}
		tasks := make([]*asyncio.Task[int], n)
		for i := range tasks {
			tasks[i] = asyncio.CreateTask(ctx, w.stormTask(rng.IntN(7), i))
		}
		// The storm: cancel tasks at random while the world changes.
		for round := 0; round < 200; round++ {
			for range n / 100 {
				tasks[rng.IntN(n)].Cancel()
			}
			switch rng.IntN(5) {
			case 0:
				if f := w.futures[rng.IntN(len(w.futures))]; !f.Done() {
					f.SetResult(round)
				}
			case 1:
				w.queue.PutNowait(round)
				w.put++
			case 2:
				w.event.Set()
				w.event.Clear()
			case 3:
				if i := rng.IntN(len(w.release)); w.release[i] != nil {
					close(w.release[i])
					w.release[i] = nil
				}
			}
			asyncio.Sleep(ctx, 0)
		}
		// Let everything end: cancel what is left and free what it waits for.
		for _, task := range tasks {
			task.Cancel()
		}
		for i, ch := range w.release {
			if ch != nil {
				close(ch)
				w.release[i] = nil
			}
		}
		if _, _, err := asyncio.GatherReturnErrors(ctx, toAwaitables(tasks)...); err != nil {
			return 0, err
		}
		checkStormWorld(t, w, tasks)
		return 0, nil
	})
}

func toAwaitables(tasks []*asyncio.Task[int]) []asyncio.Awaitable[int] {
	aws := make([]asyncio.Awaitable[int], len(tasks))
	for i, task := range tasks {
		aws[i] = task
	}
	return aws
}

// checkStormWorld checks that every task ended, every primitive is back to
// rest, and nothing was lost.
func checkStormWorld(t *testing.T, w *stormWorld, tasks []*asyncio.Task[int]) {
	t.Helper()
	for i, task := range tasks {
		if !task.Done() {
			t.Fatalf("task %d is still pending", i)
		}
		if _, err := task.Result(); err != nil && !errors.Is(err, asyncio.ErrCancelled) {
			t.Fatalf("task %d failed: %v", i, err)
		}
	}
	if w.lock.Locked() || w.held != 0 {
		t.Errorf("the lock is still held (held by %d tasks)", w.held)
	}
	if w.sem.Value() != 3 || w.sem.Locked() {
		t.Errorf("the semaphore has %d permits, want all 3 back", w.sem.Value())
	}
	if w.put != w.got+w.queue.Len() {
		t.Errorf("queue: %d put, %d taken, %d left: items were lost or taken twice", w.put, w.got, w.queue.Len())
	}
}

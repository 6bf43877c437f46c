package asyncio_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
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
	put     int             // items put in the queue: 0, 1, …, put-1
	taken   map[int]int     // how often each item was taken
	held    int             // tasks inside the lock: never more than 1

	// Tasks inside Get or Acquire: at a quiet moment, none may wait for
	// what is free.
	getting, locking, acquiring int

	// The tasks in line for the lock, a permit and an item, so that
	// cancellers can aim at the front, where hand-offs happen.
	lines [3]stormLine

	// Tickets drawn before Acquire and the last one served: a lock and a
	// semaphore serve their waiters first come, first served.
	lockTicket, lockServed, semTicket, semServed int
	lockGrants, semGrants                        int
	outOfTurn                                    []string
}

// A stormLine is the tasks waiting in one wait list, in the order they
// joined it.
type stormLine struct {
	order  []int
	inside map[int]bool
}

func (l *stormLine) enter(i int) {
	if l.inside == nil {
		l.inside = make(map[int]bool)
	}
	l.order = append(l.order, i)
	l.inside[i] = true
}

func (l *stormLine) leave(i int) { delete(l.inside, i) }

// front returns the task that has waited longest, if one waits.
func (l *stormLine) front() (int, bool) {
	for len(l.order) > 0 && !l.inside[l.order[0]] {
		l.order = l.order[1:]
	}
	if len(l.order) == 0 {
		return 0, false
	}
	return l.order[0], true
}

// serve records that the holder of ticket was served after last, and
// returns the new last.
func (w *stormWorld) serve(what string, ticket, last int) int {
	if ticket < last {
		w.outOfTurn = append(w.outOfTurn, fmt.Sprintf("%s: ticket %d served after %d", what, ticket, last))
	}
	return ticket
}

// stormTask returns the function of a task of kind k.
func (w *stormWorld) stormTask(k int, i int) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		switch k {
		case 0:
			return asyncio.Await(ctx, w.futures[i%len(w.futures)])
		case 1:
			w.getting++
			w.lines[2].enter(i)
			v, err := w.queue.Get(ctx)
			w.lines[2].leave(i)
			w.getting--
			if err == nil {
				w.taken[v]++
			}
			return v, err
		case 2:
			return 0, w.holdLock(ctx, i)
		case 3:
			return 0, w.holdPermit(ctx, i)
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

// holdLock takes the lock in its turn and holds it for a millisecond.
func (w *stormWorld) holdLock(ctx context.Context, i int) error {
	ticket := w.lockTicket
	w.lockTicket++
	w.locking++
	w.lines[0].enter(i)
	err := w.lock.Acquire(ctx)
	w.lines[0].leave(i)
	w.locking--
	if err != nil {
		return err
	}
	w.lockServed = w.serve("lock", ticket, w.lockServed)
	w.lockGrants++
	w.held++
	defer func() { w.held--; w.lock.Release() }()
	if w.held != 1 {
		return errors.New("two tasks hold the lock")
	}
	return asyncio.Sleep(ctx, time.Millisecond)
}

// holdPermit takes a permit in its turn and holds it for a millisecond.
func (w *stormWorld) holdPermit(ctx context.Context, i int) error {
	ticket := w.semTicket
	w.semTicket++
	w.acquiring++
	w.lines[1].enter(i)
	err := w.sem.Acquire(ctx)
	w.lines[1].leave(i)
	w.acquiring--
	if err != nil {
		return err
	}
	w.semServed = w.serve("semaphore", ticket, w.semServed)
	w.semGrants++
	defer w.sem.Release()
	return asyncio.Sleep(ctx, time.Millisecond)
}

// checkQuiet checks, at a moment when every task that can run has run, that
// no task waits for what is free: an item in the queue, the lock, a permit.
func (w *stormWorld) checkQuiet(t *testing.T, round int) {
	t.Helper()
	if w.queue.Len() > 0 && w.getting > 0 {
		t.Errorf("round %d: %d getters wait while the queue holds %d items", round, w.getting, w.queue.Len())
	}
	if !w.lock.Locked() && w.locking > 0 {
		t.Errorf("round %d: %d tasks wait for a free lock", round, w.locking)
	}
	if w.sem.Value() > 0 && w.acquiring > 0 {
		t.Errorf("round %d: %d tasks wait for a semaphore with %d permits free", round, w.acquiring, w.sem.Value())
	}
}

// canceller returns the function of a task that, every one to three
// milliseconds, cancels the task at the front of a line, or a task at
// random if the line is empty; before it aims at the queue's line, it may
// put an item. It wakes when holders do, so it may cancel a task just
// handed the lock, a permit or an item, before that task runs.
func (w *stormWorld) canceller(tasks []*asyncio.Task[int], rng *rand.Rand, i int) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		for {
			if err := asyncio.Sleep(ctx, time.Duration(1+i%3)*time.Millisecond); err != nil {
				return 0, err
			}
			line := rng.IntN(len(w.lines))
			if line == 2 && rng.IntN(8) == 0 {
				// An item promised to the front getter, which is then
				// cancelled: the item must go to the next one.
				w.queue.PutNowait(w.put)
				w.put++
			}
			victim, ok := w.lines[line].front()
			if !ok {
				victim = rng.IntN(len(tasks))
			}
			tasks[victim].Cancel()
		}
	}
}

// The storm has two phases. While executor jobs wait for their release,
// they hold the virtual clock, so the first rounds release one channel
// each and pass no time. Then every round lets 1.001ms pass, so that lock
// and semaphore holders (who hold for a millisecond) finish and hand over:
// the main task wakes at r × 1.001ms, when no other timer is due (every other
// one is a whole number of milliseconds after a moment the main task woke
// at, or after zero), so the world is quiet and can be checked.
const stormRound = time.Millisecond + time.Microsecond

func TestStressCancellationStorm(t *testing.T) {
	n := stressSize(100_000, 20_000, 2_000)
	run(t, func(ctx context.Context) (int, error) {
		rng := rand.New(rand.NewPCG(1, 2))
		w := &stormWorld{sem: asyncio.NewSemaphore(3), futures: make([]*asyncio.Future[int], 64),
			release: make([]chan struct{}, 16), taken: make(map[int]int)}
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
		// Cancellations also come from tasks that wake when holders let go,
		// so that some fall between a hand-off and the taker's turn to run.
		cancellers := make([]*asyncio.Task[int], n/200)
		for i := range cancellers {
			cancellers[i] = asyncio.CreateTask(ctx, w.canceller(tasks, rand.New(rand.NewPCG(3, uint64(i))), i))
		}
		// The storm: cancel tasks at random while the world changes.
		for round := 0; round < 200; round++ {
			for range n / 100 {
				tasks[rng.IntN(n)].Cancel()
			}
			switch rng.IntN(4) {
			case 0:
				if f := w.futures[rng.IntN(len(w.futures))]; !f.Done() {
					f.SetResult(round)
				}
			case 1:
				w.queue.PutNowait(w.put)
				w.put++
			case 2:
				w.event.Set()
				w.event.Clear()
			}
			if round < len(w.release) {
				close(w.release[round])
				asyncio.Sleep(ctx, 0)
				continue
			}
			if err := asyncio.Sleep(ctx, stormRound); err != nil {
				return 0, err
			}
			w.checkQuiet(t, round)
		}
		// Let everything end: cancel what is left.
		for _, task := range append(tasks, cancellers...) {
			task.Cancel()
		}
		if _, _, err := asyncio.GatherReturnErrors(ctx, toAwaitables(cancellers)...); err != nil {
			return 0, err
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
// rest, nothing was lost or taken twice, every waiter was served in its
// turn, and the storm made the hand-offs it is meant to test.
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
	left := make(map[int]int)
	for w.queue.Len() > 0 {
		v, _ := w.queue.GetNowait()
		left[v]++
	}
	for v := range w.put {
		if n := w.taken[v] + left[v]; n != 1 {
			t.Errorf("queue: item %d was taken %d times and left %d times", v, w.taken[v], left[v])
		}
	}
	if len(w.outOfTurn) > 0 {
		t.Errorf("%d waiters served out of turn, first: %s", len(w.outOfTurn), w.outOfTurn[0])
	}
	// A storm in which no one waits tests nothing: a fifth of the rounds at
	// least must hand the lock over, and twice as many the permits.
	if w.lockGrants < 40 || w.semGrants < 80 {
		t.Errorf("the storm granted the lock %d times and a permit %d times; too few to test hand-offs", w.lockGrants, w.semGrants)
	}
	t.Logf("%d lock and %d semaphore grants, %d items put, %d taken", w.lockGrants, w.semGrants, w.put, len(w.taken))
}

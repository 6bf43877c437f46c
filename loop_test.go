package asyncio_test

import (
	"context"
	"errors"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

func TestCallSoonRunsInOrder(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	var r recorder
	for _, name := range []string{"a", "b", "c"} {
		l.CallSoon(func() { r.add("%s", name) })
	}
	l.CallSoon(l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	r.check(t, "a", "b", "c")
}

func TestCallSoonFromCallbackRunsNextIteration(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	var r recorder
	l.CallSoon(func() {
		r.add("first")
		l.CallSoon(func() { r.add("scheduled by first") })
	})
	l.CallSoon(func() { r.add("second") })
	l.CallSoon(func() { l.CallSoon(l.Stop) })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	r.check(t, "first", "second", "scheduled by first")
}

func TestHandleCancel(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	ran := false
	h := l.CallSoon(func() { ran = true })
	h.Cancel()
	l.CallSoon(l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if ran || !h.Cancelled() {
		t.Errorf("ran=%v Cancelled=%v, want a cancelled callback that did not run", ran, h.Cancelled())
	}
}

func TestTimersFireByDeadlineThenScheduleOrder(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	var r recorder
	at := func(d time.Duration, name string) {
		l.CallLater(d, func() { r.add("%s@%v", name, l.Time()) })
	}
	at(2*time.Second, "c")
	at(time.Second, "a")
	at(2*time.Second, "d")
	at(time.Second, "b")
	at(0, "now")
	l.CallLater(3*time.Second, l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	r.check(t, "now@0s", "a@1s", "b@1s", "c@2s", "d@2s")
}

func TestCallAtUsesLoopTime(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	var got time.Duration
	h := l.CallAt(90*time.Minute, func() { got = l.Time(); l.Stop() })
	if h.When() != 90*time.Minute {
		t.Errorf("When = %v, want 1h30m", h.When())
	}
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if got != 90*time.Minute {
		t.Errorf("callback ran at %v, want 1h30m", got)
	}
}

func TestTimerHandleCancelLeavesNoTimer(t *testing.T) {
	defer noLeaks(t)()
	// A cancelled timer is off the heap at once: under the virtual clock the
	// loop then has nothing to wait for, and says so.
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	ran := false
	h := l.CallLater(time.Hour, func() { ran = true })
	l.CallSoon(h.Cancel)
	err := l.RunForever()
	if !errors.Is(err, asyncio.ErrDeadlock) {
		t.Fatalf("RunForever = %v, want ErrDeadlock", err)
	}
	if ran || l.Time() != 0 {
		t.Errorf("ran=%v at %v; want the cancelled timer not to run or move the clock", ran, l.Time())
	}
}

func TestTimerHandleCancelByATimerDueAtTheSameTime(t *testing.T) {
	defer noLeaks(t)()
	// Both timers are due in the same iteration, so the second has left the
	// heap for the ready queue when the first cancels it: Cancel must still
	// keep it from running.
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	var r recorder
	var second *asyncio.TimerHandle
	l.CallLater(time.Second, func() { r.add("first"); second.Cancel() })
	second = l.CallLater(time.Second, func() { r.add("second") })
	l.CallLater(2*time.Second, func() { r.add("third"); l.Stop() })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	r.check(t, "first", "third")
	if !second.Cancelled() {
		t.Error("Cancelled() = false after Cancel")
	}
}

func TestCallSoonThreadsafeWakesIdleLoop(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop() // real clock: the loop blocks with nothing to do
	defer l.Close()
	started := make(chan struct{})
	l.CallSoon(func() { close(started) })
	go func() {
		<-started
		if err := l.CallSoonThreadsafe(l.Stop); err != nil {
			t.Error(err)
		}
	}()
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
}

func TestCallSoonThreadsafeFromManyGoroutines(t *testing.T) {
	defer noLeaks(t)()
	const goroutines, calls = 100, 1000
	l := asyncio.NewLoop()
	defer l.Close()
	counts := make([][]int, goroutines)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range calls {
				if err := l.CallSoonThreadsafe(func() { counts[g] = append(counts[g], i) }); err != nil {
					t.Error(err)
					return
				}
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
	for g, got := range counts {
		if len(got) != calls {
			t.Fatalf("goroutine %d: %d callbacks ran, want %d", g, len(got), calls)
		}
		for i, v := range got {
			if v != i {
				t.Fatalf("goroutine %d: callback %d ran as number %d; calls from one goroutine must run in order", g, v, i)
			}
		}
	}
}

func TestCallSoonThreadsafeAfterClose(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.CallSoonThreadsafe(func() {}); !errors.Is(err, asyncio.ErrLoopClosed) {
		t.Errorf("CallSoonThreadsafe after Close = %v, want ErrLoopClosed", err)
	}
	if !l.IsClosed() {
		t.Error("IsClosed = false after Close")
	}
}

func TestCallSoonOnClosedLoopPanics(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	l.Close()
	p := mustPanic(t, func() { l.CallSoon(func() {}) })
	panicMatches(t, p, asyncio.ErrLoopClosed, "CallSoon")
}

func TestCloseTwice(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

func TestCloseRunningLoop(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	var err error
	l.CallSoon(func() {
		err = l.Close()
		l.Stop()
	})
	if rerr := l.RunForever(); rerr != nil {
		t.Fatal(rerr)
	}
	if !errors.Is(err, asyncio.ErrLoopRunning) {
		t.Errorf("Close on a running loop = %v, want ErrLoopRunning", err)
	}
	if l.IsClosed() {
		t.Error("the loop closed while running")
	}
}

func TestRunOnClosedLoop(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	l.Close()
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) { return 1, nil })
	if !errors.Is(err, asyncio.ErrLoopClosed) {
		t.Errorf("RunUntilComplete on a closed loop = %v, want ErrLoopClosed", err)
	}
	if err := l.RunForever(); !errors.Is(err, asyncio.ErrLoopClosed) {
		t.Errorf("RunForever on a closed loop = %v, want ErrLoopClosed", err)
	}
}

func TestRunUntilCompleteNested(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		if !l.IsRunning() {
			t.Error("IsRunning = false inside RunUntilComplete")
		}
		return asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) { return 1, nil })
	})
	if !errors.Is(err, asyncio.ErrLoopRunning) {
		t.Errorf("nested RunUntilComplete = %v, want ErrLoopRunning", err)
	}
	if l.IsRunning() {
		t.Error("IsRunning = true after RunUntilComplete returned")
	}
}

func TestCallbackPanicGoesToHandler(t *testing.T) {
	defer noLeaks(t)()
	var got []*asyncio.Exception
	l := asyncio.NewLoop(asyncio.WithExceptionHandler(func(e *asyncio.Exception) { got = append(got, e) }))
	defer l.Close()
	after := false
	l.CallSoon(func() { panic("boom") })
	l.CallSoon(func() { after = true; l.Stop() })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if !after {
		t.Error("the loop did not live on after a panicking callback")
	}
	if len(got) != 1 {
		t.Fatalf("handler called %d times, want 1", len(got))
	}
	var pe *asyncio.PanicError
	if !errors.As(got[0].Err, &pe) || pe.Value != "boom" || !strings.Contains(string(pe.Stack), "loop_test.go") {
		t.Errorf("handler got %v, want a *PanicError for boom with the stack", got[0].Err)
	}
	if got[0].Handle == nil {
		t.Error("the exception does not name the callback")
	}
}

func TestPanicInExceptionHandlerIsContained(t *testing.T) {
	defer noLeaks(t)()
	var logged strings.Builder
	log.SetOutput(&logged)
	defer log.SetOutput(os.Stderr)
	l := asyncio.NewLoop(asyncio.WithExceptionHandler(func(*asyncio.Exception) { panic("handler") }))
	defer l.Close()
	after := false
	l.CallSoon(func() { panic("callback") })
	l.CallSoon(func() { after = true; l.Stop() })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if !after {
		t.Error("the loop did not go on after the handler panicked")
	}
	// The handler's panic is logged with what it was handling.
	if got := logged.String(); !strings.Contains(got, "panic in the exception handler: handler") || !strings.Contains(got, "panic: callback") {
		t.Errorf("log = %q, want the handler's panic and the callback's", got)
	}
}

func TestStopBeforeRunRunsOneIteration(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	var r recorder
	l.CallSoon(func() {
		r.add("ready")
		l.CallSoon(func() { r.add("next iteration") })
	})
	l.Stop()
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	r.check(t, "ready")
	l.CallSoon(l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	r.check(t, "ready", "next iteration")
}

func TestStopDuringRunUntilComplete(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	unwound := false
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		defer func() { unwound = true }()
		l.Stop()
		asyncio.Sleep(ctx, time.Second)
		t.Error("main went on after Stop")
		return 1, nil
	})
	if err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("RunUntilComplete after Stop = %v, want an error saying the loop stopped", err)
	}
	if !unwound {
		t.Error("main's deferred calls did not run")
	}
}

func TestVirtualClockJumps(t *testing.T) {
	got := run(t, func(ctx context.Context) (time.Duration, error) {
		if err := asyncio.Sleep(ctx, 24*time.Hour); err != nil {
			return 0, err
		}
		l, _ := asyncio.GetRunningLoop(ctx)
		return l.Time(), nil
	})
	if got != 24*time.Hour {
		t.Errorf("after a 24h Sleep the clock says %v", got)
	}
}

func TestRealClockAdvances(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	t0 := l.Time()
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		return 0, asyncio.Sleep(ctx, time.Millisecond)
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := l.Time() - t0; d < time.Millisecond {
		t.Errorf("a 1ms Sleep took %v of loop time", d)
	}
}

func TestVirtualClockHeldByExecutorWork(t *testing.T) {
	defer noLeaks(t)()
	// While work is in flight elsewhere the clock stands still: a timer must
	// not fire early just because the loop is idle.
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	var r recorder
	release := l.HoldClock()
	l.CallLater(time.Second, func() { r.add("timer@%v", l.Time()); l.Stop() })
	go func() {
		l.CallSoonThreadsafe(func() {
			r.add("work done@%v", l.Time())
			release()
		})
	}()
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	r.check(t, "work done@0s", "timer@1s")
}

func TestDeadlockNeverWithPendingTimer(t *testing.T) {
	got := run(t, func(ctx context.Context) (string, error) {
		f := asyncio.CreateFuture[string](ctx)
		l, _ := asyncio.GetRunningLoop(ctx)
		l.CallLater(time.Hour, func() { f.SetResult("late") })
		return asyncio.Await(ctx, f)
	})
	if got != "late" {
		t.Errorf("got %q", got)
	}
}

func TestRealClockWaitsForOtherGoroutines(t *testing.T) {
	defer noLeaks(t)()
	// With the real clock, an idle loop is not a deadlock: a goroutine may
	// still resolve the future.
	v, err := asyncio.Run(func(ctx context.Context) (string, error) {
		f := asyncio.CreateFuture[string](ctx)
		l, _ := asyncio.GetRunningLoop(ctx)
		go l.CallSoonThreadsafe(func() { f.SetResult("from a goroutine") })
		return asyncio.Await(ctx, f)
	})
	if err != nil || v != "from a goroutine" {
		t.Errorf("Run = %q, %v", v, err)
	}
}

func TestMemoryOfABurstIsGivenBack(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	const n = 10_000
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		tasks := make([]asyncio.Awaitable[int], n)
		for i := range tasks {
			tasks[i] = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				return i, asyncio.Sleep(ctx, time.Second)
			})
		}
		_, err := asyncio.Gather(ctx, tasks...)
		return 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
	ready, timers := l.Buffers()
	if got := l.IdleCoros(); got != n || ready < n || timers < n {
		t.Fatalf("after the burst: %d idle coroutines, buffers %d and %d; want all %d kept while busy", got, ready, timers, n)
	}
	l.Compact()
	ready, timers = l.Buffers()
	if got := l.IdleCoros(); got != 1024 || ready > 64 || timers > 1024 {
		t.Errorf("after compacting: %d idle coroutines (want 1024), ready buffer %d (want <= 64), timer heap %d (want <= 1024)", got, ready, timers)
	}
	if c := l.IdleCorosCap(); c > 2048 {
		t.Errorf("after compacting, the idle coroutines are kept in a slice of %d: the burst's array was not let go", c)
	}
}

// An idle loop gives memory back on its own when it expects to wait a
// while, as for a timer well ahead, without being asked.
func TestIdleLoopGivesMemoryBack(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		tasks := make([]asyncio.Awaitable[int], 3000)
		for i := range tasks {
			tasks[i] = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return i, asyncio.Sleep(ctx, 0) })
		}
		_, err := asyncio.Gather(ctx, tasks...)
		return 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
	before := l.IdleCoros()
	l.CallLater(50*time.Millisecond, func() {})
	l.BlockOnce() // until the timer is due, trimming meanwhile
	if after := l.IdleCoros(); after >= before {
		t.Errorf("an idle loop kept all its %d idle coroutines (now %d) while it waited for a timer 50 ms ahead", before, after)
	}
}

func TestIdleLoopWakesForATimerJustDue(t *testing.T) {
	// A deadline that passes just before the loop computes how long to wait
	// once made it wait forever. A hang fails the test.
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	defer l.Close()
	l.CallLater(0, func() {})
	time.Sleep(time.Millisecond) // the deadline is in the past now
	done := make(chan struct{})
	go func() { l.BlockOnce(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("the loop waits forever with a timer due")
	}
}

func TestRealClockManyTimers(t *testing.T) {
	// Many deadlines close together on the real clock all fire.
	defer noLeaks(t)()
	n := stressSize(100_000, 20_000, 2_000)
	done := make(chan error, 1)
	go func() {
		_, err := asyncio.Run(func(ctx context.Context) ([]int, error) {
			seq := lcg(7)
			tasks := make([]asyncio.Awaitable[int], n)
			for i := range tasks {
				d := time.Duration(seq.next(20_000)) * time.Microsecond
				tasks[i] = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
					return i, asyncio.Sleep(ctx, d)
				})
			}
			return asyncio.Gather(ctx, tasks...)
		})
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the loop hung with timers due")
	}
}

func TestExceptionString(t *testing.T) {
	f := run(t, func(ctx context.Context) (*asyncio.Future[int], error) {
		f := asyncio.CreateFuture[int](ctx)
		f.SetResult(7)
		return f, nil
	})
	for _, c := range []struct {
		e    asyncio.Exception
		want string
	}{
		{asyncio.Exception{Message: "just a message"}, "just a message"},
		{asyncio.Exception{Message: "m", Err: errors.New("e")}, "m\nerror: e"},
		{asyncio.Exception{Message: "m", Future: f}, "m\nfuture: " + f.String()},
		{asyncio.Exception{Message: "m", Future: f, Err: errors.New("e")}, "m\nfuture: " + f.String() + "\nerror: e"},
	} {
		if got := c.e.String(); got != c.want {
			t.Errorf("String() = %q, want %q", got, c.want)
		}
	}
}

// An idle loop on the real clock waits until its next timer, and a debug
// loop with nothing scheduled at most until it is time to report its
// stuck tasks; without either it waits for a wake-up, however long.
func TestIdleLoopWaitsUntilItsNextTimer(t *testing.T) {
	l := asyncio.NewLoop()
	defer l.Close()
	if forever, wait := l.NextWake(); !forever {
		t.Errorf("with nothing scheduled the loop waits %v, want until woken", wait)
	}
	l.CallLater(time.Hour, func() {})
	if forever, wait := l.NextWake(); forever || wait <= 59*time.Minute || wait > time.Hour {
		t.Errorf("with a timer an hour ahead the loop waits %v (forever %v), want just under an hour", wait, forever)
	}
	d := asyncio.NewLoop(asyncio.WithDebug())
	defer d.Close()
	if forever, wait := d.NextWake(); forever || wait <= 0 || wait > 10*time.Second {
		t.Errorf("a debug loop with nothing scheduled waits %v (forever %v), want at most the 10 s before it reports", wait, forever)
	}
}

// Timers with equal deadlines fire in the order they were scheduled however
// many share a deadline: with a handful, as in
// TestTimersFireByDeadlineThenScheduleOrder, a heap that breaks ties wrongly
// can still come out right.
func TestTimersWithEqualDeadlinesFireInOrder(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	const n = 300
	var got []int
	for i := range n {
		l.CallLater(time.Duration((i*7)%3)*time.Second, func() { got = append(got, i) })
	}
	l.CallLater(3*time.Second, l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	want := make([]int, 0, n)
	for d := range 3 {
		for i := range n {
			if (i*7)%3 == d {
				want = append(want, i)
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("fired in the order\n%v\nwant\n%v", got, want)
	}
}

// Cancelling timers from anywhere in the heap leaves the others firing in
// deadline order: a removal that must move a timer up is done right.
func TestCancelledTimersLeaveTheRestInOrder(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	rng := rand.New(rand.NewPCG(17, 4))
	const n = 500
	var got []time.Duration
	var handles []*asyncio.TimerHandle
	for range n {
		d := time.Duration(rng.IntN(1000)) * time.Millisecond
		handles = append(handles, l.CallLater(d, func() { got = append(got, d) })) // d, not the loop's time, which only grows
	}
	kept := 0
	for i, h := range handles {
		if rng.IntN(3) == 0 || i%7 == 0 {
			h.Cancel()
		} else {
			kept++
		}
	}
	l.CallLater(time.Hour, l.Stop)
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if len(got) != kept || !slices.IsSorted(got) {
		t.Errorf("%d of %d timers fired, in order %v", len(got), kept, slices.IsSorted(got))
	}
}

// The deadlock error holds the stuck tasks, for code that reports them
// its own way.
func TestDeadlockErrorHoldsTheTasks(t *testing.T) {
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		var never asyncio.Event
		tk := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return 0, never.Wait(ctx)
		}, asyncio.WithName("waiter"))
		return asyncio.Await(ctx, tk)
	}, asyncio.WithVirtualClock())
	var de *asyncio.DeadlockError
	if !errors.As(err, &de) || !errors.Is(err, asyncio.ErrDeadlock) {
		t.Fatalf("Run: %v; want a *DeadlockError matching ErrDeadlock", err)
	}
	var names []string
	for _, ti := range de.Tasks {
		names = append(names, ti.Name+" awaits "+ti.Awaiting)
	}
	if len(de.Tasks) != 2 || de.Tasks[1].Name != "waiter" || !strings.Contains(de.Tasks[1].Awaiting, "Event.Wait") {
		t.Errorf("stuck tasks: %q; want the main task and 'waiter' in Event.Wait", names)
	}
}

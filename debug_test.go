package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures"
)

// zoo starts tasks that wait for every kind of thing a dump names, and lets
// them all suspend.
func zoo(ctx context.Context) {
	var q asyncio.Queue[int]
	var l asyncio.Lock
	l.Acquire(ctx)
	release := make(chan struct{})
	go func() { <-ctx.Done(); close(release) }()
	asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return q.Get(ctx) }, asyncio.WithName("getter"))
	asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, l.Acquire(ctx) }, asyncio.WithName("locker"))
	sleeper := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
		return 0, asyncio.Sleep(ctx, time.Hour)
	}, asyncio.WithName("sleeper"))
	asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return asyncio.ToThread(ctx, func() (int, error) { <-release; return 0, nil })
		}, asyncio.WithName("blocked"))
		return asyncio.Await(ctx, sleeper)
	}, asyncio.WithName("parent"))
	asyncio.Sleep(ctx, 0)
	asyncio.Sleep(ctx, 0)
}

func TestTasksSnapshot(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		zoo(ctx)
		l, _ := asyncio.GetRunningLoop(ctx)
		got := map[string]asyncio.TaskInfo{}
		for _, ti := range l.Tasks() {
			got[ti.Name] = ti
		}
		want := []struct{ name, state, awaiting, parent string }{
			{"Task-1", "running", "", ""},
			{"getter", "suspended", "Queue.Get", "Task-1"},
			{"locker", "suspended", "Lock.Acquire", "Task-1"},
			{"sleeper", "suspended", "sleep until 1h0m0s", "Task-1"},
			{"parent", "suspended", "task sleeper", "Task-1"},
			{"blocked", "suspended", "executor work", "parent"},
		}
		for _, w := range want {
			ti, ok := got[w.name]
			if !ok {
				t.Errorf("no task %s in the snapshot", w.name)
				continue
			}
			parent := ""
			if ti.Parent != 0 {
				for _, p := range got {
					if p.ID == ti.Parent {
						parent = p.Name
					}
				}
			}
			if ti.State != w.state || ti.Awaiting != w.awaiting || parent != w.parent {
				t.Errorf("%s: state %q awaiting %q parent %q; want %q, %q, %q", w.name, ti.State, ti.Awaiting, parent, w.state, w.awaiting, w.parent)
			}
		}
		if got["parent"].AwaitingTask != got["sleeper"].ID {
			t.Error("AwaitingTask does not name the awaited task")
		}
		return 0, nil
	})
}

func TestDumpTasksTree(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		zoo(ctx) // the executor work holds the virtual clock at 0s
		l, _ := asyncio.GetRunningLoop(ctx)
		var b strings.Builder
		if err := l.DumpTasks(&b); err != nil {
			return 0, err
		}
		want := `Task-1 asyncio_test.TestDumpTasksTree.func1: running (age 0s)
├── getter asyncio_test.zoo.func2: suspended (age 0s), awaiting Queue.Get
├── locker asyncio_test.zoo.func3: suspended (age 0s), awaiting Lock.Acquire
├── sleeper asyncio_test.zoo.func4: suspended (age 0s), awaiting sleep until 1h0m0s
└── parent asyncio_test.zoo.func5: suspended (age 0s), awaiting task sleeper
    └── blocked asyncio_test.zoo.func5.1: suspended (age 0s), awaiting executor work
`
		if b.String() != want {
			t.Errorf("dump:\n%s\nwant:\n%s", b.String(), want)
		}
		return 0, nil
	})
}

func TestDebugDumpShowsPositions(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		zoo(ctx)
		l, _ := asyncio.GetRunningLoop(ctx)
		for _, ti := range l.Tasks() {
			if ti.Name == "Task-1" {
				continue
			}
			if !strings.Contains(ti.SuspendedAt, "debug_test.go:") || !strings.Contains(ti.CreatedAt, "debug_test.go:") {
				t.Errorf("%s: suspended at %q, created at %q; want positions in debug_test.go", ti.Name, ti.SuspendedAt, ti.CreatedAt)
			}
		}
		return 0, nil
	}, asyncio.WithDebug())
}

func TestDeadlockReportIsATaskDump(t *testing.T) {
	defer noLeaks(t)()
	// Two tasks take two locks in opposite orders: the classic deadlock.
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		var a, b asyncio.Lock
		take := func(first, second *asyncio.Lock) func(context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				first.Acquire(ctx)
				asyncio.Sleep(ctx, time.Second)
				return 0, second.Acquire(ctx)
			}
		}
		t1 := asyncio.CreateTask(ctx, take(&a, &b), asyncio.WithName("ab"))
		t2 := asyncio.CreateTask(ctx, take(&b, &a), asyncio.WithName("ba"))
		_, err := asyncio.Gather[int](ctx, t1, t2)
		return 0, err
	}, asyncio.WithVirtualClock(), asyncio.WithDebug())
	if !errors.Is(err, asyncio.ErrDeadlock) {
		t.Fatalf("Run = %v, want ErrDeadlock", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"awaiting Gather at ",
		"├── ab ", "└── ba ",
		": suspended (age 1s), awaiting Lock.Acquire at ",
		"debug_test.go:",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("deadlock report lacks %q:\n%s", want, msg)
		}
	}
}

// A program stuck on a lock that no one releases: the loop sees that no task
// can go on, and the error shows the task tree with what each task awaits.
func ExampleLoop_DumpTasks() {
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		var lock asyncio.Lock
		jobs := asyncio.NewQueue[string](0)
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			lock.Acquire(ctx)
			_, err := jobs.Get(ctx) // nobody ever puts a job
			lock.Release()
			return 0, err
		}, asyncio.WithName("worker"))
		asyncio.Sleep(ctx, time.Minute)
		return 0, lock.Acquire(ctx)
	}, asyncio.WithVirtualClock())
	fmt.Println(err)
	// Output:
	// asyncio: deadlock: no task can make progress and nothing can wake the loop (no callbacks, timers or executor work):
	// 	Task-1 asyncio_test.ExampleLoop_DumpTasks.func1: suspended (age 1m0s), awaiting Lock.Acquire
	// 	└── worker asyncio_test.ExampleLoop_DumpTasks.func1.1: suspended (age 1m0s), awaiting Queue.Get
}

func TestDebugReportsSlowTaskStep(t *testing.T) {
	var reports []string
	run(t, func(ctx context.Context) (int, error) {
		slow := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			time.Sleep(150 * time.Millisecond) // blocks the loop: the bug debug mode finds
			return 0, asyncio.Sleep(ctx, time.Second)
		}, asyncio.WithName("slow"))
		_, err := asyncio.Await(ctx, slow)
		return 0, err
	}, asyncio.WithDebug(), asyncio.WithExceptionHandler(func(e *asyncio.Exception) { reports = append(reports, e.Message) }))
	if len(reports) != 1 || !strings.Contains(reports[0], "task slow (asyncio_test.TestDebugReportsSlowTaskStep.func1.1) held the loop for") ||
		!strings.Contains(reports[0], "it then suspended at /") || !strings.Contains(reports[0], "debug_test.go:") {
		t.Errorf("reports = %q", reports)
	}
}

// blockedLoop runs a loop on the real clock with n tasks suspended on a
// future, then blocks it, as a stuck callback would, until unblock is
// closed: what Snapshot asks of it waits meanwhile. finish ends the run.
func blockedLoop(t *testing.T, n int) (l *asyncio.Loop, unblock chan struct{}, finish func()) {
	t.Helper()
	loopCh := make(chan *asyncio.Loop)
	unblock = make(chan struct{})
	done := make(chan struct{})
	var end *asyncio.Future[int]
	go func() {
		defer close(done)
		asyncio.Run(func(ctx context.Context) (int, error) {
			end = asyncio.CreateFuture[int](ctx)
			for range n {
				asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return asyncio.Await(ctx, end) })
			}
			asyncio.Sleep(ctx, 0)
			l, _ := asyncio.GetRunningLoop(ctx)
			loopCh <- l
			<-unblock
			return asyncio.Await(ctx, end)
		})
	}()
	l = <-loopCh
	return l, unblock, func() {
		l.CallSoonThreadsafe(func() { end.SetResult(0) })
		<-done
	}
}

// waitParked waits until n goroutines are parked in a select inside fn.
func waitParked(fn string, n int) {
	buf := make([]byte, 1<<20)
	for {
		count := 0
		for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, " [select") && strings.Contains(g, fn) {
				count++
			}
		}
		if count >= n {
			return
		}
		runtime.Gosched()
	}
}

// Requests that come while a snapshot is being taken share it: with a
// hundred thousand tasks, each snapshot holds the loop a while.
func TestConcurrentSnapshotsShareOne(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l, unblock, finish := blockedLoop(t, 3)
	defer finish()
	const callers = 8
	infos := make([]asyncio.LoopInfo, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { infos[i], errs[i] = l.Snapshot(context.Background()) })
	}
	waitParked("asyncio.(*Loop).Snapshot(", callers)
	close(unblock)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || len(infos[i].Tasks) != 4 {
			t.Fatalf("Snapshot %d = %d tasks, %v; want 4", i, len(infos[i].Tasks), errs[i])
		}
		if !reflect.DeepEqual(infos[i], infos[0]) {
			t.Errorf("Snapshot %d (time %v) differs from Snapshot 0 (time %v): each took its own", i, infos[i].Time, infos[0].Time)
		}
	}
	infos[0].Tasks[0].Name = "changed"
	if infos[1].Tasks[0].Name == "changed" {
		t.Error("the callers of Snapshot share one slice of tasks: one's change shows in another's")
	}
}

// When every caller has given up before the loop gets to a snapshot, the
// loop skips it: a stuck loop that comes free is not held up further by
// work that nobody waits for.
func TestAbandonedSnapshotIsSkipped(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l, unblock, finish := blockedLoop(t, 3)
	defer finish()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { _, err := l.Snapshot(ctx); errc <- err }()
	waitParked("asyncio.(*Loop).Snapshot(", 1)
	f := l.SnapshotInFlight(-1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "did not answer") {
		t.Errorf("Snapshot after cancel = %v", err)
	}
	if f == nil || f.Waiters() != 0 || l.SnapshotInFlight(-1) != nil {
		t.Fatal("the abandoned snapshot is still waited for")
	}
	close(unblock)
	passed := make(chan struct{})
	l.CallSoonThreadsafe(func() { close(passed) }) // runs after the snapshot's callback
	<-passed
	if f.Taken() {
		t.Error("the loop took a snapshot that nobody waited for")
	}
	if info, err := l.Snapshot(context.Background()); err != nil || len(info.Tasks) != 4 {
		t.Errorf("the next Snapshot = %d tasks, %v; want 4", len(info.Tasks), err)
	}
}

func TestSnapshotN(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	l, unblock, finish := blockedLoop(t, 5) // and the main task: 6
	close(unblock)
	defer finish()
	for _, c := range []struct {
		n, tasks int
	}{
		{-1, 6}, {-7, 6}, {0, 0}, {1, 1}, {5, 5}, {6, 6}, {100, 6},
	} {
		info, err := l.SnapshotN(context.Background(), c.n)
		if err != nil || len(info.Tasks) != c.tasks || info.Total != 6 || info.Truncated != (c.tasks < 6) {
			t.Errorf("SnapshotN(%d) = %d tasks of %d (truncated %v), %v; want %d of 6", c.n, len(info.Tasks), info.Total, info.Truncated, err, c.tasks)
			continue
		}
		for i, ti := range info.Tasks {
			if want := fmt.Sprintf("Task-%d", i+1); ti.Name != want {
				t.Errorf("SnapshotN(%d): task %d is %s, want %s: the oldest come first", c.n, i, ti.Name, want)
			}
		}
	}
}

// A task made after the clock has moved is as old as the time since then,
// and one that has not run yet is new.
func TestTaskInfoAgeAndNewState(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		asyncio.Sleep(ctx, time.Second)
		sleeper := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return 0, asyncio.Sleep(ctx, time.Hour)
		}, asyncio.WithName("sleeper"))
		asyncio.Sleep(ctx, 2*time.Second)
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, nil }, asyncio.WithName("unstarted"))
		l, _ := asyncio.GetRunningLoop(ctx)
		got := map[string]asyncio.TaskInfo{}
		for _, ti := range l.Tasks() {
			got[ti.Name] = ti
		}
		if ti := got["sleeper"]; ti.Age != 2*time.Second || ti.State != "suspended" {
			t.Errorf("sleeper: age %v, state %q; want 2s, suspended", ti.Age, ti.State)
		}
		if ti := got["unstarted"]; ti.Age != 0 || ti.State != "new" {
			t.Errorf("unstarted: age %v, state %q; want 0s, new", ti.Age, ti.State)
		}
		sleeper.Cancel()
		return 0, nil
	})
}

// Loops lists the loops that are not closed, in the order they were made.
func TestLoops(t *testing.T) {
	first, second := asyncio.NewLoop(), asyncio.NewLoop()
	defer second.Close()
	ls := asyncio.Loops()
	i, j := slices.Index(ls, first), slices.Index(ls, second)
	if i < 0 || j < 0 || i > j {
		t.Fatalf("Loops lists two new loops at %d and %d, want both, in the order they were made", i, j)
	}
	first.Close()
	if slices.Contains(asyncio.Loops(), first) {
		t.Error("Loops lists a closed loop")
	}
}

// A debug loop on the real clock that has long had nothing to do reports
// what its tasks wait for, once, and goes on waiting.
func TestDebugReportsAStuckLoop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer asyncio.SetStuckReport(time.Millisecond)()
	var reports []string
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		var q asyncio.Queue[int]
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return q.Get(ctx) }, asyncio.WithName("getter"))
		reported := asyncio.CreateFuture[int](ctx)
		l, _ := asyncio.GetRunningLoop(ctx)
		l.SetExceptionHandler(func(e *asyncio.Exception) {
			reports = append(reports, e.Message)
			if !reported.Done() {
				reported.SetResult(0)
			}
		})
		return asyncio.Await(ctx, reported)
	}, asyncio.WithDebug())
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || !strings.HasPrefix(reports[0], "loop idle for 1ms with nothing scheduled; waiting tasks:") ||
		!strings.Contains(reports[0], "getter") || !strings.Contains(reports[0], "awaiting Queue.Get") {
		t.Errorf("reports = %q, want one naming the getter", reports)
	}
}

// A loop with no task has nothing to report when it idles.
func TestStuckReportNeedsTasks(t *testing.T) {
	defer noLeaks(t)()
	var reports []string
	l := asyncio.NewLoop(asyncio.WithExceptionHandler(func(e *asyncio.Exception) { reports = append(reports, e.Message) }))
	defer l.Close()
	l.CallSoon(func() { l.ReportStuck(); l.Stop() })
	if err := l.RunForever(); err != nil {
		t.Fatal(err)
	}
	if len(reports) != 0 {
		t.Errorf("reports = %q, want none", reports)
	}
}

// The main task's steps are timed as other tasks' are.
func TestDebugReportsSlowMainTaskStep(t *testing.T) {
	var reports []string
	run(t, func(ctx context.Context) (int, error) {
		time.Sleep(150 * time.Millisecond) // blocks the loop
		return 0, asyncio.Sleep(ctx, time.Second)
	}, asyncio.WithDebug(), asyncio.WithExceptionHandler(func(e *asyncio.Exception) { reports = append(reports, e.Message) }))
	if len(reports) != 1 || !strings.Contains(reports[0], "task Task-1 (asyncio_test.TestDebugReportsSlowMainTaskStep.func1) held the loop for") ||
		!strings.Contains(reports[0], "it then suspended at /") || !strings.Contains(reports[0], "debug_test.go:") {
		t.Errorf("reports = %q", reports)
	}
}

// Tasks that wait for executor work that cannot start, because every
// worker is held, are named as such in the dump and reported by a debug
// loop, where they would otherwise look like a loop with nothing to do.
func TestDebugReportsAFullExecutor(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	defer asyncio.SetQueuedReport(time.Millisecond)()
	pool := futures.NewThreadPool(1)
	defer pool.Shutdown(true)
	release := make(chan struct{})
	var reports []string
	var dump string
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		l.SetDefaultExecutor(pool)
		var started atomic.Bool
		blocked := func(ctx context.Context) (int, error) {
			return asyncio.ToThread(ctx, func() (int, error) { started.Store(true); <-release; return 0, nil })
		}
		holder := asyncio.CreateTask(ctx, blocked, asyncio.WithName("holder"))
		for !started.Load() { // the holder takes the one worker
			asyncio.Sleep(ctx, time.Millisecond)
		}
		reported := asyncio.CreateFuture[int](ctx)
		l.SetExceptionHandler(func(e *asyncio.Exception) {
			reports = append(reports, e.Message)
			if !reported.Done() {
				reported.SetResult(0)
			}
		})
		waiter := asyncio.CreateTask(ctx, blocked, asyncio.WithName("starved"))
		asyncio.Await(ctx, reported)
		var b strings.Builder
		l.DumpTasks(&b)
		dump = b.String()
		close(release)
		_, err := asyncio.Gather(ctx, holder, waiter)
		return 0, err
	}, asyncio.WithDebug())
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) == 0 || !strings.HasPrefix(reports[0], "1 task waits for executor work that has not started") ||
		!strings.Contains(reports[0], "starved") {
		t.Errorf("reports = %q, want one naming the starved task", reports)
	}
	if !strings.Contains(dump, "starved asyncio_test.TestDebugReportsAFullExecutor.func") ||
		strings.Count(dump, "all workers of its executor are busy") != 1 {
		t.Errorf("the dump does not mark the one queued task:\n%s", dump)
	}
}

// A task that awaits work whose executor labels it shows the label in the
// dump, with whether the work has started.
func TestDumpShowsTheLabelOfExecutorWork(t *testing.T) {
	var infos []asyncio.TaskInfo
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		started, sp := futures.NewPromise[int]()
		sp.SetLabel(`cluster call "square" on queue q`)
		sp.Start(func() bool { return true })
		pending, pp := futures.NewPromise[int]()
		pp.SetLabel(`cluster call "cube" on queue q`)
		await := func(f *futures.Future[int]) func(context.Context) (int, error) {
			return func(ctx context.Context) (int, error) { return asyncio.Await(ctx, asyncio.WrapFuture(ctx, f)) }
		}
		a := asyncio.CreateTask(ctx, await(started), asyncio.WithName("started"))
		b := asyncio.CreateTask(ctx, await(pending), asyncio.WithName("pending"))
		asyncio.Sleep(ctx, 0)
		l, _ := asyncio.GetRunningLoop(ctx)
		infos = l.Tasks()
		sp.SetResult(1)
		pp.SetResult(2)
		_, err := asyncio.Gather(ctx, a, b)
		return 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"started": `executor work: cluster call "square" on queue q`,
		"pending": `executor work: cluster call "cube" on queue q (not started)`,
	}
	for _, ti := range infos {
		if w, ok := want[ti.Name]; ok && ti.Awaiting != w {
			t.Errorf("%s awaits %q, want %q", ti.Name, ti.Awaiting, w)
		}
		delete(want, ti.Name)
	}
	if len(want) != 0 {
		t.Errorf("tasks missing from the dump: %v", want)
	}
}

package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
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

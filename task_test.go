package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

func TestTaskNames(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		a := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 1, nil })
		b := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 2, nil }, asyncio.WithName("n1"))
		c := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 3, nil })
		for _, tc := range []struct{ got, want string }{{a.Name(), "Task-2"}, {b.Name(), "n1"}, {c.Name(), "Task-4"}} {
			if tc.got != tc.want {
				t.Errorf("Name = %q, want %q", tc.got, tc.want)
			}
		}
		_, err := asyncio.Gather(ctx, a, b, c)
		return 0, err
	})
}

func TestMainTaskIsTask1(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		if s := fmt.Sprint(ctx); s != "asyncio.Task(Task-1)" {
			t.Errorf("the main task's ctx prints as %q", s)
		}
		return 0, nil
	})
}

func TestTasksStartInCreationOrderAfterCreatorYields(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		l.CallSoon(func() { r.add("callback scheduled first") })
		for i := range 3 {
			asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				r.add("task %d", i)
				return i, nil
			})
		}
		r.add("main before yielding")
		asyncio.Sleep(ctx, 0)
		r.add("main after one iteration")
		return 0, nil
	})
	r.check(t, "main before yielding", "callback scheduled first", "task 0", "task 1", "task 2", "main after one iteration")
}

func TestSleepZeroYieldsExactlyOneIteration(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		for _, name := range []string{"a", "b"} {
			asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				for i := range 3 {
					r.add("%s%d", name, i)
					asyncio.Sleep(ctx, 0)
				}
				return 0, nil
			})
		}
		return 0, asyncio.Sleep(ctx, time.Second)
	})
	r.check(t, "a0", "b0", "a1", "b1", "a2", "b2")
}

// Sleep(ctx, 0) puts the task at the back of the ready line at once, as
// asyncio.sleep(0) does: ahead of anything scheduled after it in the same
// iteration, not one iteration later as a timer due now would be.
func TestSleepZeroQueuesAheadOfLaterWork(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		yielder := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			err := asyncio.Sleep(ctx, 0)
			r.add("after Sleep(0)")
			return 0, err
		})
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			l, _ := asyncio.GetRunningLoop(ctx)
			l.CallSoon(func() { r.add("callback scheduled after it") })
			return 0, nil
		})
		return asyncio.Await(ctx, yielder)
	})
	r.check(t, "after Sleep(0)", "callback scheduled after it")
}

func TestEqualSleepsWakeInOrder(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		var ts []asyncio.Awaitable[int]
		for i := range 5 {
			ts = append(ts, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				err := asyncio.Sleep(ctx, time.Second)
				r.add("%d@%s", i, now(ctx))
				return i, err
			}))
		}
		_, err := asyncio.Gather(ctx, ts...)
		return 0, err
	})
	r.check(t, "0@1s", "1@1s", "2@1s", "3@1s", "4@1s")
}

func TestTaskString(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		ok := asyncio.CreateTask(ctx, namedWork, asyncio.WithName("n1"))
		failed := asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) { return "", errors.New("no") })
		sleeper := asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) { return "", asyncio.Sleep(ctx, time.Hour) })
		asyncio.Sleep(ctx, 0)
		asyncio.Await(ctx, failed)
		cases := []struct {
			task interface{ String() string }
			want string
		}{
			{ok, `<Task finished name='n1' coro=<asyncio_test.namedWork> result="返回值">`},
			{failed, `<Task finished name='Task-3' coro=<asyncio_test.TestTaskString.func1.1> exception="no">`},
			{sleeper, `<Task pending name='Task-4' coro=<asyncio_test.TestTaskString.func1.2> wait_for=<sleep until 1h0m0s>>`},
		}
		for _, c := range cases {
			if got := c.task.String(); got != c.want {
				t.Errorf("String:\n got %s\nwant %s", got, c.want)
			}
		}
		sleeper.Cancel()
		asyncio.Sleep(ctx, 0)
		want := `<Task cancelled name='Task-4' coro=<asyncio_test.TestTaskString.func1.2>>`
		if got := sleeper.String(); got != want {
			t.Errorf("String:\n got %s\nwant %s", got, want)
		}
		return 0, nil
	})
}

func namedWork(ctx context.Context) (string, error) { return "返回值", nil }

func TestTaskCancelBeforeStart(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		ran := false
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { ran = true; return 1, nil })
		if !task.Cancel() {
			t.Error("Cancel of a new task = false")
		}
		_, err := asyncio.Await(ctx, task)
		if ran || !task.Cancelled() || !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("ran=%v Cancelled=%v err=%v; a task cancelled before it starts never runs", ran, task.Cancelled(), err)
		}
		if task.Cancel() {
			t.Error("Cancel of a done task = true")
		}
		return 0, nil
	})
}

func TestTaskCancelWhileSleeping(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var sleepErr, ctxErr error
		var wokeAt string
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			sleepErr = asyncio.Sleep(ctx, time.Hour)
			wokeAt, ctxErr = now(ctx), ctx.Err()
			select {
			case <-ctx.Done():
			default:
				t.Error("ctx.Done() is open in a cancelled task")
			}
			return 0, sleepErr
		})
		asyncio.Sleep(ctx, time.Second)
		task.Cancel()
		asyncio.Await(ctx, task)
		if !errors.Is(sleepErr, asyncio.ErrCancelled) || ctxErr != context.Canceled || wokeAt != "1s" || !task.Cancelled() {
			t.Errorf("Sleep = %v, ctx.Err() = %v, woke at %s, Cancelled = %v", sleepErr, ctxErr, wokeAt, task.Cancelled())
		}
		return 0, nil
	})
}

func TestTaskCancelCancelsAwaitedFuture(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return asyncio.Await(ctx, f) })
		asyncio.Sleep(ctx, 0)
		task.Cancel()
		asyncio.Await(ctx, task)
		if !f.Cancelled() || !task.Cancelled() {
			t.Errorf("future cancelled=%v, task cancelled=%v; cancelling an awaiting task cancels what it awaits", f.Cancelled(), task.Cancelled())
		}
		return 0, nil
	})
}

func TestTaskCancelCancelsAwaitedTask(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		inner := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, asyncio.Sleep(ctx, time.Hour) })
		outer := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return asyncio.Await(ctx, inner) })
		asyncio.Sleep(ctx, 0)
		outer.Cancel()
		_, err := asyncio.Await(ctx, outer)
		if !errors.Is(err, asyncio.ErrCancelled) || !inner.Cancelled() || !outer.Cancelled() {
			t.Errorf("outer err=%v, inner cancelled=%v, outer cancelled=%v", err, inner.Cancelled(), outer.Cancelled())
		}
		return 0, nil
	})
}

func TestTaskCancelCanBeRefused(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) {
			if err := asyncio.Sleep(ctx, time.Hour); err != nil {
				return "cleaned up after " + err.Error(), nil
			}
			return "slept", nil
		})
		asyncio.Sleep(ctx, 0)
		task.Cancel()
		v, err := asyncio.Await(ctx, task)
		if v != "cleaned up after asyncio: cancelled" || err != nil || task.Cancelled() {
			t.Errorf("got %q, %v, Cancelled=%v; a task that handles its cancellation ends finished", v, err, task.Cancelled())
		}
		return 0, nil
	})
}

func TestTaskCancelItself(t *testing.T) {
	// As in asyncio, a task that cancels itself gets ErrCancelled at its next
	// suspension, and the future it then awaits is cancelled.
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		var self *asyncio.Task[int]
		self = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			self.Cancel()
			if ctx.Err() == nil {
				t.Error("ctx not cancelled right after Cancel")
			}
			return asyncio.Await(ctx, f)
		})
		_, err := asyncio.Await(ctx, self)
		if !errors.Is(err, asyncio.ErrCancelled) || !f.Cancelled() {
			t.Errorf("err=%v, future cancelled=%v", err, f.Cancelled())
		}
		return 0, nil
	})
}

func TestTaskCancelAfterWakeBeforeResume(t *testing.T) {
	// The future completes, then the task is cancelled before it resumes:
	// the cancellation wins, as in asyncio.
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return asyncio.Await(ctx, f) })
		asyncio.Sleep(ctx, 0)
		f.SetResult(1)
		task.Cancel()
		_, err := asyncio.Await(ctx, task)
		if !errors.Is(err, asyncio.ErrCancelled) || !task.Cancelled() {
			t.Errorf("err=%v cancelled=%v", err, task.Cancelled())
		}
		return 0, nil
	})
}

func TestTaskPanicBecomesError(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			asyncio.Sleep(ctx, 0)
			var m map[string]int
			m["x"] = 1 // panics
			return 0, nil
		})
		_, err := asyncio.Await(ctx, task)
		var pe *asyncio.PanicError
		if !errors.As(err, &pe) {
			t.Fatalf("err = %v, want a *PanicError", err)
		}
		if !strings.Contains(string(pe.Stack), "task_test.go") || !strings.Contains(fmt.Sprintf("%+v", err), "task_test.go") {
			t.Errorf("the panic's stack does not show where it happened:\n%s", pe.Stack)
		}
		var re runtime.Error
		if !errors.As(err, &re) {
			t.Errorf("errors.As does not reach the runtime.Error inside %v", err)
		}
		if task.Cancelled() {
			t.Error("a panicked task counts as cancelled")
		}
		// The loop lives on.
		return 0, asyncio.Sleep(ctx, time.Second)
	})
}

func TestMainPanicBecomesRunError(t *testing.T) {
	defer noLeaks(t)()
	_, err := asyncio.Run(func(ctx context.Context) (int, error) { panic("main") })
	var pe *asyncio.PanicError
	if !errors.As(err, &pe) || pe.Value != "main" {
		t.Errorf("Run = %v, want a *PanicError", err)
	}
}

func TestTaskContextEndsWithTask(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var taskCtx context.Context
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			taskCtx = ctx
			if ctx.Err() != nil {
				t.Error("ctx cancelled while the task runs")
			}
			return 0, nil
		})
		asyncio.Await(ctx, task)
		if taskCtx.Err() != context.Canceled {
			t.Errorf("ctx.Err() after the task returned = %v, want context.Canceled", taskCtx.Err())
		}
		<-taskCtx.Done()
		return 0, nil
	})
}

type ctxKey string

func TestTaskContextValuesButNotCancellation(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		ctx = context.WithValue(ctx, ctxKey("user"), "ada")
		parent, cancel := context.WithCancel(ctx)
		task := asyncio.CreateTask(parent, func(ctx context.Context) (string, error) {
			if err := asyncio.Sleep(ctx, time.Second); err != nil {
				return "", err
			}
			v, _ := ctx.Value(ctxKey("user")).(string)
			return v, nil
		})
		cancel()
		v, err := asyncio.Await(ctx, task)
		if v != "ada" || err != nil {
			t.Errorf("got %q, %v; a task keeps its creator's values and outlives its cancellation", v, err)
		}
		return 0, nil
	})
}

func TestDerivedContextsStartNoGoroutines(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var child context.Context
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			for range 100 {
				c, cancel := context.WithCancel(ctx)
				defer cancel()
				c, cancel = context.WithTimeout(c, time.Hour)
				defer cancel()
				child = c
			}
			if n := contextGoroutines(); n != 0 {
				t.Errorf("deriving 200 contexts started %d goroutines", n)
			}
			return 0, asyncio.Sleep(ctx, time.Hour)
		})
		asyncio.Sleep(ctx, 0)
		task.Cancel()
		asyncio.Await(ctx, task)
		if child.Err() != context.Canceled {
			t.Errorf("derived context Err = %v after the task was cancelled", child.Err())
		}
		return 0, nil
	})
}

func TestContextDoneWatchedFromAnotherGoroutine(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		seen := make(chan error)
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			go func() {
				<-ctx.Done()
				seen <- ctx.Err()
			}()
			return 0, asyncio.Sleep(ctx, time.Hour)
		})
		asyncio.Sleep(ctx, 0)
		task.Cancel()
		asyncio.Await(ctx, task)
		if err := <-seen; err != context.Canceled {
			t.Errorf("a goroutine watching ctx saw %v", err)
		}
		return 0, nil
	})
}

func TestMisuseOutsideTaskPanics(t *testing.T) {
	bg := context.Background()
	cases := []struct {
		op string
		fn func()
	}{
		{"CreateTask", func() {
			asyncio.CreateTask(bg, func(ctx context.Context) (int, error) { return 0, nil })
		}},
		{"Sleep", func() { asyncio.Sleep(bg, time.Second) }},
		{"Await", func() {
			var f *asyncio.Future[int]
			asyncio.Await(bg, f)
		}},
		{"Wait", func() { asyncio.Wait(bg, nil, asyncio.AllCompleted, 0) }},
		{"Gather", func() { asyncio.Gather[int](bg) }},
		{"WaitFor", func() { asyncio.WaitFor[int](bg, nil, time.Second) }},
	}
	for _, c := range cases {
		t.Run(c.op, func(t *testing.T) {
			p := mustPanic(t, c.fn)
			panicMatches(t, p, asyncio.ErrNoRunningLoop, c.op)
		})
	}
	if _, err := asyncio.GetRunningLoop(bg); !errors.Is(err, asyncio.ErrNoRunningLoop) {
		t.Errorf("GetRunningLoop = %v", err)
	}
}

func TestCtxOfFinishedLoopPanics(t *testing.T) {
	var saved context.Context
	run(t, func(ctx context.Context) (int, error) { saved = ctx; return 0, nil })
	p := mustPanic(t, func() { asyncio.Sleep(saved, 0) })
	panicMatches(t, p, asyncio.ErrNoRunningLoop, "Sleep")
}

func TestAwaitWithAnotherTasksCtxPanics(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		mainCtx := ctx
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			p := mustPanic(t, func() { asyncio.Sleep(mainCtx, 0) })
			panicMatches(t, p, nil, "with the ctx of task Task-1 from another task or goroutine")
			return 0, nil
		})
		_, err := asyncio.Await(ctx, task)
		return 0, err
	})
}

// A goroutine that is not the task's may not wait with the task's ctx, not
// even while the task runs: the loop's state is the loop's goroutine's. The
// check itself must not race (go test -race).
func TestAwaitFromAnotherGoroutinePanics(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		got := make(chan any)
		go func() { got <- mustPanic(t, func() { asyncio.Sleep(ctx, 0) }) }()
		panicMatches(t, <-got, nil, "Sleep called with the ctx of task Task-1 from another task or goroutine")
		return 0, nil
	})
}

func TestAwaitFromCallbackPanics(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		var p any
		l.CallSoon(func() { p = mustPanic(t, func() { asyncio.Sleep(ctx, 0) }) })
		asyncio.Sleep(ctx, 0)
		panicMatches(t, p, nil, "while a callback is running")
		return 0, nil
	})
}

func TestTaskAwaitingItselfPanics(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var self *asyncio.Task[int]
		self = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return asyncio.Await(ctx, self)
		})
		_, err := asyncio.Await(ctx, self)
		var pe *asyncio.PanicError
		if !errors.As(err, &pe) || !strings.Contains(fmt.Sprint(pe.Value), "awaits itself") {
			t.Errorf("err = %v, want a panic saying the task awaits itself", err)
		}
		return 0, nil
	})
}

func TestAwaitFutureOfAnotherLoopPanics(t *testing.T) {
	var other *asyncio.Future[int]
	l := asyncio.NewLoop()
	defer l.Close()
	asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		other = asyncio.CreateFuture[int](ctx)
		return 0, nil
	})
	run(t, func(ctx context.Context) (int, error) {
		p := mustPanic(t, func() { asyncio.Await(ctx, other) })
		panicMatches(t, p, nil, "another loop")
		return 0, nil
	})
}

func TestRunCancelsLeftoverTasks(t *testing.T) {
	var r recorder
	v := run(t, func(ctx context.Context) (string, error) {
		for i := range 3 {
			asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				defer r.add("task %d cleaned up", i)
				return 0, asyncio.Sleep(ctx, time.Hour)
			})
		}
		asyncio.Sleep(ctx, 0)
		return "main done", nil
	})
	if v != "main done" {
		t.Errorf("Run = %q", v)
	}
	r.check(t, "task 0 cleaned up", "task 1 cleaned up", "task 2 cleaned up")
}

func TestCloseDestroysPendingTasks(t *testing.T) {
	defer noLeaks(t)()
	var reports []string
	l := asyncio.NewLoop(asyncio.WithVirtualClock(), asyncio.WithExceptionHandler(func(e *asyncio.Exception) {
		reports = append(reports, e.Message)
	}))
	cleaned := false
	var task *asyncio.Task[int]
	asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		task = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			defer func() { cleaned = true }()
			return 0, asyncio.Sleep(ctx, time.Hour)
		})
		return 0, asyncio.Sleep(ctx, 0)
	})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if !cleaned || !task.Cancelled() {
		t.Errorf("cleaned=%v cancelled=%v; a destroyed task is unwound and ends cancelled", cleaned, task.Cancelled())
	}
	if len(reports) != 1 || !strings.Contains(reports[0], "destroyed but it is pending") {
		t.Errorf("reports = %q", reports)
	}
}

func TestTasksContinueOnNextRun(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	var task *asyncio.Task[string]
	asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		task = asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) {
			return "finished later", asyncio.Sleep(ctx, time.Second)
		})
		return 0, nil
	})
	if task.Done() {
		t.Fatal("the task finished before the loop ran it")
	}
	v, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (string, error) {
		return asyncio.Await(ctx, task)
	})
	if v != "finished later" || err != nil {
		t.Errorf("second run = %q, %v", v, err)
	}
}

func TestDeadlockNamesStuckTasks(t *testing.T) {
	defer noLeaks(t)()
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return asyncio.Await(ctx, f) }, asyncio.WithName("stuck"))
		return asyncio.Await(ctx, f)
	}, asyncio.WithVirtualClock())
	if !errors.Is(err, asyncio.ErrDeadlock) {
		t.Fatalf("Run = %v, want ErrDeadlock", err)
	}
	for _, want := range []string{"Task-1 asyncio_test.TestDeadlockNamesStuckTasks.func1: suspended", "└── stuck", "awaiting a future"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("deadlock report lacks %s:\n%v", want, err)
		}
	}
}

func TestAwaitNilOrZeroFuturePanics(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var zero asyncio.Future[int]
		cases := []struct {
			name, want string
			fn         func()
		}{
			{"nil pointer", "Await of a nil future", func() { asyncio.Await(ctx, (*asyncio.Future[int])(nil)) }},
			{"nil interface", "Await of a nil future", func() { asyncio.Await[int](ctx, nil) }},
			{"zero Future", "zero Future", func() { asyncio.Await(ctx, &zero) }},
			{"nil task in Wait", "Wait of a nil future", func() {
				asyncio.Wait(ctx, []asyncio.Waiter{(*asyncio.Task[int])(nil)}, asyncio.AllCompleted, 0)
			}},
			{"nil function", "nil function", func() { asyncio.CreateTask[int](ctx, nil) }},
		}
		for _, c := range cases {
			p := mustPanic(t, c.fn) // on the task's goroutine: a subtest runs on another
			t.Run(c.name, func(t *testing.T) { panicMatches(t, p, nil, c.want) })
		}
		return 0, nil
	})
}

func TestDebugReportsSlowCallback(t *testing.T) {
	var reports []string
	run(t, func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		l.CallSoon(func() { time.Sleep(150 * time.Millisecond) }) // blocks the loop: a bug debug mode finds
		return 0, asyncio.Sleep(ctx, 0)
	}, asyncio.WithDebug(), asyncio.WithExceptionHandler(func(e *asyncio.Exception) { reports = append(reports, e.Message) }))
	if len(reports) != 1 || !strings.Contains(reports[0], "executing <Handle") || !strings.Contains(reports[0], "took") {
		t.Errorf("reports = %q, want one about the slow callback", reports)
	}
}

func TestDebugRecordsWhereTasksWereCreated(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		task := asyncio.CreateTask(ctx, sleeper(time.Second, 1, nil))
		if s := task.String(); !strings.Contains(s, "created at ") || !strings.Contains(s, "task_test.go:") {
			t.Errorf("String = %s, want the place the task was created", s)
		}
		return asyncio.Await(ctx, task)
	}, asyncio.WithDebug())
}

func TestCancelTasksAwaitingEachOther(t *testing.T) {
	// A cycle of awaits: cancelling one task must stop both, not recurse
	// forever from one task's cancellation to the other's.
	run(t, func(ctx context.Context) (int, error) {
		var a, b *asyncio.Task[int]
		a = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return asyncio.Await(ctx, b) })
		b = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return asyncio.Await(ctx, a) })
		asyncio.Sleep(ctx, 0)
		a.Cancel()
		_, _, err := asyncio.GatherReturnErrors[int](ctx, a, b)
		if !a.Cancelled() || !b.Cancelled() {
			t.Errorf("a cancelled %v, b cancelled %v; want both", a.Cancelled(), b.Cancelled())
		}
		return 0, err
	})
}

func TestCurrentTaskAndAllTasks(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		main := asyncio.CurrentTask(ctx)
		var child asyncio.TaskHandle
		sleeper := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			child = asyncio.CurrentTask(ctx)
			return 0, asyncio.Sleep(ctx, time.Hour)
		}, asyncio.WithName("sleeper"))
		quick := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, nil })
		asyncio.Sleep(ctx, 0)
		if main.Name() != "Task-1" || child != asyncio.TaskHandle(sleeper) {
			t.Errorf("CurrentTask: main %v, child %v; want Task-1 and the sleeper", main, child)
		}
		all := asyncio.AllTasks(ctx)
		if len(all) != 2 || all[0] != main || all[1] != asyncio.TaskHandle(sleeper) || quick.Done() == false {
			t.Errorf("AllTasks = %v, want the main task and the sleeper, not the finished one", all)
		}
		sleeper.Cancel()
		return 0, nil
	})
}

// A task that catches a cancellation and goes on takes it back with
// Uncancel, so that a Timeout around it still reports its own expiry as
// ErrTimeout (asyncio's uncancel, as test_timeouts uses it).
func TestUncancelLetsATimeoutReportItsOwnExpiry(t *testing.T) {
	for _, uncancel := range []bool{false, true} {
		run(t, func(ctx context.Context) (int, error) {
			var errTimeout error
			task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				errTimeout = asyncio.Timeout(ctx, 2*time.Second, func(ctx context.Context) error {
					if err := asyncio.Sleep(ctx, time.Hour); !errors.Is(err, asyncio.ErrCancelled) {
						t.Errorf("Sleep = %v, want the Cancel", err)
					}
					me := asyncio.CurrentTask(ctx)
					if me.Cancelling() != 1 {
						t.Errorf("Cancelling = %d after one Cancel", me.Cancelling())
					}
					if uncancel && me.Uncancel() != 0 {
						t.Error("Uncancel did not take the request back")
					}
					return asyncio.Sleep(ctx, time.Hour) // until the deadline
				})
				return 0, nil
			})
			asyncio.Sleep(ctx, time.Second)
			task.Cancel()
			asyncio.Await(ctx, task)
			if uncancel != errors.Is(errTimeout, asyncio.ErrTimeout) {
				t.Errorf("uncancel %v: Timeout = %v", uncancel, errTimeout)
			}
			return 0, nil
		})
	}
}

// contextGoroutines counts the goroutines that the context package started
// to watch a parent it could not hook into, the cost that contexts derived
// from a task's must not have. (Counting all goroutines would count those
// that other tests' runtime housekeeping starts and ends meanwhile.)
func contextGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return strings.Count(string(buf), "context.(*cancelCtx).propagateCancel.func")
}

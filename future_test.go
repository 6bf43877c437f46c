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

func TestFutureSetResultThenAwait(t *testing.T) {
	got := run(t, func(ctx context.Context) (string, error) {
		f := asyncio.CreateFuture[string](ctx)
		f.SetResult("666")
		if !f.Done() || f.Cancelled() {
			t.Errorf("Done=%v Cancelled=%v after SetResult", f.Done(), f.Cancelled())
		}
		return asyncio.Await(ctx, f)
	})
	if got != "666" {
		t.Errorf("Await = %q, want 666", got)
	}
}

func TestFutureAwaitWakesWaitersInOrder(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		var tasks []asyncio.Awaitable[int]
		for _, name := range []string{"a", "b", "c"} {
			tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				v, err := asyncio.Await(ctx, f)
				r.add("%s got %d", name, v)
				return v, err
			}))
		}
		asyncio.Sleep(ctx, 0) // let them all start awaiting
		f.SetResult(7)
		_, err := asyncio.Gather(ctx, tasks...)
		return 0, err
	})
	r.check(t, "a got 7", "b got 7", "c got 7")
}

func TestFutureSetResultTwice(t *testing.T) {
	for _, second := range []struct {
		name string
		set  func(*asyncio.Future[int])
	}{
		{"SetResult", func(f *asyncio.Future[int]) { f.SetResult(2) }},
		{"SetException", func(f *asyncio.Future[int]) { f.SetException(errors.New("late")) }},
	} {
		t.Run(second.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				f := asyncio.CreateFuture[int](ctx)
				f.SetResult(1)
				p := mustPanic(t, func() { second.set(f) })
				panicMatches(t, p, asyncio.ErrInvalidState, second.name)
				v, err := f.Result()
				if v != 1 || err != nil {
					t.Errorf("Result after a refused second set = %v, %v; want the first result", v, err)
				}
				return 0, nil
			})
		})
	}
}

func TestFutureSetResultAfterCancel(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		f.Cancel()
		p := mustPanic(t, func() { f.SetResult(1) })
		panicMatches(t, p, asyncio.ErrInvalidState, "already done")
		return 0, nil
	})
}

func TestFutureResultBeforeDone(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		if _, err := f.Result(); !errors.Is(err, asyncio.ErrInvalidState) {
			t.Errorf("Result of a pending future = %v, want ErrInvalidState", err)
		}
		return 0, nil
	})
}

func TestFutureSetException(t *testing.T) {
	boom := errors.New("boom")
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		f.SetException(boom)
		if _, err := asyncio.Await(ctx, f); err != boom {
			t.Errorf("Await = %v, want boom", err)
		}
		return 0, nil
	})
}

func TestFutureSetExceptionNil(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		p := mustPanic(t, func() { f.SetException(nil) })
		panicMatches(t, p, nil, "nil error")
		return 0, nil
	})
}

func TestFutureCancelWakesAwaiter(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return asyncio.Await(ctx, f)
		})
		asyncio.Sleep(ctx, 0)
		if !f.Cancel() {
			t.Error("Cancel of a pending future = false")
		}
		if f.Cancel() {
			t.Error("second Cancel = true")
		}
		_, err := asyncio.Await(ctx, waiter)
		if !errors.Is(err, asyncio.ErrCancelled) || !errors.Is(err, context.Canceled) {
			t.Errorf("awaiting a cancelled future = %v, want ErrCancelled matching context.Canceled", err)
		}
		if !waiter.Cancelled() {
			t.Error("a task that returned ErrCancelled did not end cancelled")
		}
		if _, err := f.Result(); !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("Result of a cancelled future = %v", err)
		}
		return 0, nil
	})
}

func TestFutureDoneCallbacks(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		f.AddDoneCallback(func(f *asyncio.Future[int]) { v, _ := f.Result(); r.add("first %d", v) })
		remove := f.AddDoneCallback(func(*asyncio.Future[int]) { r.add("removed") })
		f.AddDoneCallback(func(*asyncio.Future[int]) { r.add("third") })
		if !remove() || remove() {
			t.Error("remove should report true once")
		}
		f.SetResult(5)
		r.add("set")
		f.AddDoneCallback(func(*asyncio.Future[int]) { r.add("added when done") })
		asyncio.Sleep(ctx, 0)
		return 0, nil
	})
	// Callbacks run from the loop, never inside SetResult.
	r.check(t, "set", "first 5", "third", "added when done")
}

func TestFutureString(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[string](ctx)
		check := func(want string) {
			t.Helper()
			if got := f.String(); got != want {
				t.Errorf("String = %s, want %s", got, want)
			}
		}
		check("<Future pending>")
		f.SetResult("666")
		check(`<Future finished result="666">`)
		f = asyncio.CreateFuture[string](ctx)
		f.SetException(errors.New("no"))
		f.Result()
		check(`<Future finished exception="no">`)
		f = asyncio.CreateFuture[string](ctx)
		f.Cancel()
		check("<Future cancelled>")
		return 0, nil
	})
}

func TestCreateFutureOutsideTask(t *testing.T) {
	p := mustPanic(t, func() { asyncio.CreateFuture[int](context.Background()) })
	panicMatches(t, p, asyncio.ErrNoRunningLoop, "CreateFuture")
}

func TestUnretrievedErrorsReportedAtClose(t *testing.T) {
	boom := errors.New("boom")
	var reports []string
	var reported []asyncio.Waiter
	handler := asyncio.WithExceptionHandler(func(e *asyncio.Exception) {
		reports = append(reports, e.Message+": "+e.Err.Error())
		reported = append(reported, e.Future)
	})
	var f *asyncio.Future[int]
	var task *asyncio.Task[int]
	run(t, func(ctx context.Context) (int, error) {
		// Reported: nobody looks at these errors. (They are kept alive, so
		// that they are reported at Close rather than when collected.)
		f = asyncio.CreateFuture[int](ctx)
		f.SetException(boom)
		task = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, boom })
		// Not reported: retrieved, or cancelled, or successful.
		seen := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, boom })
		asyncio.Await(ctx, seen)
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, asyncio.Sleep(ctx, 1e9) }).Cancel()
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 1, nil })
		asyncio.Sleep(ctx, 0)
		return 0, nil
	}, handler)
	want := "Future exception was never retrieved: boom|Task exception was never retrieved: boom"
	if got := strings.Join(reports, "|"); got != want {
		t.Errorf("reports:\n got %s\nwant %s", got, want)
	}
	// Alive at Close, each report names the future itself, not a stand-in.
	if len(reported) != 2 || reported[0] != asyncio.Waiter(f) || reported[1] != asyncio.Waiter(task) {
		t.Errorf("reports name %v, want the future %v and the task %v", reported, f, task)
	}
}

func TestManyRetrievedFailuresAreForgotten(t *testing.T) {
	defer noLeaks(t)()
	// A long-lived loop does not accumulate futures whose errors were seen.
	l := asyncio.NewLoop()
	defer l.Close()
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		for range 10_000 {
			f := asyncio.CreateFuture[int](ctx)
			f.SetException(errors.New("seen"))
			f.Result()
		}
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := l.FailuresKept(); n > 64 {
		t.Errorf("the loop keeps %d failed futures whose errors were retrieved", n)
	}
}

func TestUnretrievedErrorReportedWhenCollected(t *testing.T) {
	defer noLeaks(t)()
	// The task is dropped; once the garbage collector finds it, its error is
	// reported, long before the loop closes.
	var report *asyncio.Exception
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		reported := asyncio.CreateFuture[*asyncio.Exception](ctx)
		l, _ := asyncio.GetRunningLoop(ctx)
		l.SetExceptionHandler(func(e *asyncio.Exception) { reported.SetResult(e) })
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, errBoom }, asyncio.WithName("dropped"))
		asyncio.Sleep(ctx, 0) // it fails
		runtime.GC()
		var err error
		report, err = asyncio.WaitFor(ctx, reported, 10*time.Second)
		return 0, err
	})
	if err != nil {
		t.Fatalf("no report after the failed task was collected: %v", err)
	}
	if report.Message != "Task exception was never retrieved" || report.Err != errBoom ||
		!strings.Contains(fmt.Sprint(report.Future), "name='dropped'") {
		t.Errorf("report = %v", report)
	}
}

// Tasks that await a future wake in the order they began to wait, also
// when one that came before them has given up meanwhile.
func TestAwaitersWakeInOrderAfterOneLeaves(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		awaiter := func(name string, after time.Duration) {
			asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				asyncio.Sleep(ctx, after)
				v, err := asyncio.Await(ctx, f)
				r.add("%s", name)
				return v, err
			})
		}
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			_, _, err := asyncio.Wait(ctx, []asyncio.Waiter{f}, asyncio.AllCompleted, time.Second)
			r.add("gave up")
			return 0, err
		})
		awaiter("first", 0)
		awaiter("second", 2*time.Second)
		asyncio.Sleep(ctx, 3*time.Second)
		f.SetResult(1)
		asyncio.Sleep(ctx, 0)
		return 0, nil
	})
	r.check(t, "gave up", "first", "second")
}

// A long result is cut to 80 bytes in a future's description, at a
// character boundary, as Python's reprlib shortens values.
func TestFutureStringCutsLongResults(t *testing.T) {
	cases := []struct{ result, shown string }{
		{strings.Repeat("a", 78), `"` + strings.Repeat("a", 78) + `"`}, // 80 bytes quoted: whole
		{strings.Repeat("a", 79), `"` + strings.Repeat("a", 76) + "..."},
		{strings.Repeat("é", 50), `"` + strings.Repeat("é", 38) + "..."},
		{"a" + strings.Repeat("é", 50), `"a` + strings.Repeat("é", 37) + "..."}, // byte 77 is inside an é
	}
	run(t, func(ctx context.Context) (int, error) {
		for _, c := range cases {
			f := asyncio.CreateFuture[string](ctx)
			f.SetResult(c.result)
			if got, want := f.String(), "<Future finished result="+c.shown+">"; got != want {
				t.Errorf("String() =\n %s\nwant\n %s", got, want)
			}
		}
		return 0, nil
	})
}

package asyncio_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures"
)

// Faults: each one ends in a clear error, nothing hangs, and the loop lives
// on. The panics of callbacks, tasks and executor functions are tested
// beside the features they belong to (TestCallbackPanicGoesToHandler,
// TestTaskPanicBecomesError, TestToThreadErrorsAndPanics).

func TestPanicInDoneCallback(t *testing.T) {
	var reports []*asyncio.Exception
	handler := asyncio.WithExceptionHandler(func(e *asyncio.Exception) { reports = append(reports, e) })
	run(t, func(ctx context.Context) (int, error) {
		f := asyncio.CreateFuture[int](ctx)
		ran := false
		f.AddDoneCallback(func(*asyncio.Future[int]) { panic("in a done-callback") })
		f.AddDoneCallback(func(*asyncio.Future[int]) { ran = true })
		f.SetResult(1)
		asyncio.Sleep(ctx, 0)
		if !ran {
			t.Error("a panicking done-callback kept the next one from running")
		}
		return asyncio.Await(ctx, f) // the loop and the future are fine
	}, handler)
	var pe *asyncio.PanicError
	if len(reports) != 1 || !errors.As(reports[0].Err, &pe) || pe.Value != "in a done-callback" {
		t.Errorf("reports = %v", reports)
	}
}

func TestCloseWithExecutorWorkInFlight(t *testing.T) {
	defer noLeaks(t)()
	var reports []string
	l := asyncio.NewLoop(asyncio.WithExceptionHandler(func(e *asyncio.Exception) { reports = append(reports, e.Message) }))
	release := make(chan struct{})
	var task *asyncio.Task[int]
	asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		task = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return asyncio.ToThread(ctx, func() (int, error) { <-release; return 1, nil })
		})
		return 0, asyncio.Sleep(ctx, 0)
	})
	if err := l.Close(); err != nil { // must not wait for the worker
		t.Fatal(err)
	}
	if !task.Cancelled() || len(reports) != 1 || !strings.Contains(reports[0], "destroyed but it is pending") {
		t.Errorf("task cancelled = %v, reports = %q", task.Cancelled(), reports)
	}
	close(release) // the worker finishes into a closed loop: its result is dropped
	if err := l.CallSoonThreadsafe(func() {}); !errors.Is(err, asyncio.ErrLoopClosed) {
		t.Errorf("CallSoonThreadsafe after Close = %v", err)
	}
}

var (
	workerPID = futures.Register("asyncio_test.pid", func(struct{}) (int, error) { return os.Getpid(), nil })
	// workerBlock opens the FIFO at path, which tells the test it runs, and
	// then blocks for good.
	workerBlock = futures.Register("asyncio_test.block", func(path string) (int, error) {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return 0, err
		}
		defer f.Close()
		select {}
	})
)

func TestKilledProcessWorkerFailsOnlyItsCall(t *testing.T) {
	pool := futures.NewProcessPool(1)
	run(t, func(ctx context.Context) (int, error) {
		defer pool.Shutdown(true)
		pid, err := asyncio.Await(ctx, asyncio.WrapFuture(ctx, futures.Call(pool, workerPID, struct{}{})))
		if err != nil {
			return 0, err
		}
		fifo := filepath.Join(t.TempDir(), "running")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			return 0, err
		}
		blocked := asyncio.WrapFuture(ctx, futures.Call(pool, workerBlock, fifo))
		// Opening the FIFO returns once the worker has opened its end.
		reader, err := asyncio.ToThread(ctx, func() (*os.File, error) { return os.Open(fifo) })
		if err != nil {
			return 0, err
		}
		defer reader.Close()
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return 0, err
		}
		if _, err := asyncio.Await(ctx, blocked); !errors.Is(err, futures.ErrBrokenWorker) {
			t.Errorf("call on a killed worker = %v, want ErrBrokenWorker", err)
		}
		next, err := asyncio.Await(ctx, asyncio.WrapFuture(ctx, futures.Call(pool, workerPID, struct{}{})))
		if err != nil || next == pid {
			t.Errorf("next call = %d, %v; want a new worker", next, err)
		}
		return 0, nil
	})
}

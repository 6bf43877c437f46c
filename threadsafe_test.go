package asyncio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures"
)

// runningLoop runs a loop on the real clock in a goroutine until the test
// ends, and then checks that no goroutine the test started is left.
func runningLoop(t *testing.T) *asyncio.Loop {
	t.Helper()
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) }) // runs last
	l := asyncio.NewLoop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.RunForever()
	}()
	t.Cleanup(func() {
		l.CallSoonThreadsafe(l.Stop)
		<-done
		l.Close()
	})
	return l
}

func TestRunCoroutineThreadsafe(t *testing.T) {
	l := runningLoop(t)
	errNo := errors.New("no")
	for _, c := range []struct {
		name string
		fn   func(ctx context.Context) (int, error)
		want int
		err  error
	}{
		{"result", func(ctx context.Context) (int, error) { asyncio.Sleep(ctx, time.Millisecond); return 42, nil }, 42, nil},
		{"error", func(ctx context.Context) (int, error) { return 0, errNo }, 0, errNo},
		{"panic", func(ctx context.Context) (int, error) { panic("boom") }, 0, &asyncio.PanicError{}},
	} {
		v, err := asyncio.RunCoroutineThreadsafe(l, c.fn).ResultTimeout(time.Minute)
		var pe *asyncio.PanicError
		if v != c.want || (c.err == nil) != (err == nil) || (c.err == errNo && !errors.Is(err, errNo)) ||
			(c.name == "panic" && !errors.As(err, &pe)) {
			t.Errorf("%s: %v, %v; want %v, %v", c.name, v, err, c.want, c.err)
		}
	}
}

// Cancelling the future cancels the task, which sees ErrCancelled in its
// wait.
func TestRunCoroutineThreadsafeCancel(t *testing.T) {
	l := runningLoop(t)
	started, ended := make(chan struct{}), make(chan error, 1)
	f := asyncio.RunCoroutineThreadsafe(l, func(ctx context.Context) (int, error) {
		close(started)
		err := asyncio.Sleep(ctx, time.Hour)
		ended <- err
		return 0, err
	})
	<-started
	if f.State() != futures.Pending {
		t.Errorf("the future is %v while its task runs; want pending, so that Cancel works", f.State())
	}
	if !f.Cancel() {
		t.Fatal("Cancel = false")
	}
	if err := <-ended; !errors.Is(err, asyncio.ErrCancelled) {
		t.Errorf("the task's Sleep = %v, want ErrCancelled", err)
	}
	if _, err := f.Result(); !errors.Is(err, futures.ErrCancelled) {
		t.Errorf("Result = %v, want cancelled", err)
	}
}

// A closed loop, or one closed before it ran the task, fails the future:
// nobody waits for it forever.
func TestRunCoroutineThreadsafeClosedLoop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ran := false
	fn := func(ctx context.Context) (int, error) { ran = true; return 1, nil }
	l := asyncio.NewLoop()
	queued := asyncio.RunCoroutineThreadsafe(l, fn) // the loop never runs
	l.Close()
	late := asyncio.RunCoroutineThreadsafe(l, fn)
	for name, f := range map[string]*futures.Future[int]{"queued": queued, "late": late} {
		if _, err := f.ResultTimeout(time.Minute); !errors.Is(err, asyncio.ErrLoopClosed) {
			t.Errorf("%s: Result = %v, want ErrLoopClosed", name, err)
		}
	}
	if ran {
		t.Error("a task ran on a loop that never ran")
	}
}

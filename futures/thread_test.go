package futures_test

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/futures"
)

func TestSubmitResult(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(2)
	defer p.Shutdown(true)
	f := futures.Submit(p, func() (int, error) { return 6 * 7, nil })
	if v, err := f.Result(); v != 42 || err != nil || f.State() != futures.Finished {
		t.Errorf("Result() = %v, %v; state %v", v, err, f.State())
	}
}

func TestSubmitReturnsError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	boom := errors.New("boom")
	if _, err := futures.Submit(p, func() (int, error) { return 0, boom }).Result(); err != boom {
		t.Errorf("Result() error = %v, want %v", err, boom)
	}
}

func TestSubmitRunningWhenWorkerFree(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(2)
	defer p.Shutdown(true)
	g1, g2 := newGate(), newGate()
	defer g1.open()
	defer g2.open()
	// Both futures are running as soon as Submit returns, before their
	// functions have even been scheduled.
	if s := futures.Submit(p, g1.fn).State(); s != futures.Running {
		t.Errorf("first future %v right after Submit, want running", s)
	}
	<-g1.started // the first worker is busy now; the second starts for g2
	if s := futures.Submit(p, g2.fn).State(); s != futures.Running {
		t.Errorf("second future %v right after Submit, want running", s)
	}
}

func TestWorkerIsFreeOnceItsFutureIsDone(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// A worker is released before it completes the future of the function
	// it ran, so work submitted right after Result returns starts at once.
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	for range 100 {
		futures.Submit(p, func() (int, error) { return 0, nil }).Result()
		g := newGate()
		f := futures.Submit(p, g.fn)
		if s := f.State(); s != futures.Running {
			t.Fatalf("work submitted after Result is %v, want running", s)
		}
		g.open()
		f.Result()
	}
}

func TestSequentialWorkUsesOneWorker(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(4)
	defer p.Shutdown(true)
	for range 10 {
		futures.Submit(p, func() (int, error) { return 0, nil }).Result()
	}
	if n := futures.LiveWorkers(p); n != 1 {
		t.Errorf("%d workers for work submitted one at a time, want 1", n)
	}
}

func TestSubmitPendingWhileQueued(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	g := newGate()
	running := futures.Submit(p, g.fn)
	queued := futures.Submit(p, func() (int, error) { return 1, nil })
	if running.State() != futures.Running || queued.State() != futures.Pending {
		t.Errorf("states %v, %v; want running, pending", running.State(), queued.State())
	}
	g.open()
	if v, _ := queued.Result(); v != 1 || queued.State() != futures.Finished {
		t.Errorf("queued future: %v, %v", v, queued.State())
	}
}

func TestThreadPoolRunsQueuedWorkFIFO(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	g := newGate()
	futures.Submit(p, g.fn)
	<-g.started
	var order []int // touched only by the one worker
	var fs []*futures.Future[int]
	for i := range 10 {
		fs = append(fs, futures.Submit(p, func() (int, error) {
			order = append(order, i)
			return i, nil
		}))
	}
	g.open()
	for _, f := range fs {
		f.Result()
	}
	for i, v := range order {
		if v != i {
			t.Fatalf("queued work ran in order %v, want 0..9", order)
		}
	}
}

func TestThreadPoolStartsWorkersLazily(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(4)
	defer p.Shutdown(true)
	if n := futures.LiveWorkers(p); n != 0 {
		t.Fatalf("%d workers before any Submit", n)
	}
	var gs []*gate
	defer func() {
		for _, g := range gs {
			g.open()
		}
	}()
	for i := range 6 {
		g := newGate()
		gs = append(gs, g)
		f := futures.Submit(p, g.fn)
		want, state := min(i+1, 4), futures.Running
		if i >= 4 {
			state = futures.Pending
		}
		if n := futures.LiveWorkers(p); n != want || f.State() != state {
			t.Errorf("after Submit %d: %d workers, future %v; want %d, %v", i+1, n, f.State(), want, state)
		}
	}
}

func TestThreadPoolDefaultMaxWorkers(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	want := min(32, runtime.NumCPU()+4)
	if got := futures.DefaultThreadWorkers(); got != want {
		t.Errorf("default workers %d, want min(32, NumCPU+4) = %d", got, want)
	}
	for _, p := range []*futures.ThreadPoolExecutor{futures.NewThreadPool(0), futures.NewThreadPool(-1), new(futures.ThreadPoolExecutor)} {
		futures.Submit(p, func() (int, error) { return 0, nil }).Result()
		if got := futures.MaxWorkers(p); got != want {
			t.Errorf("max workers %d, want %d", got, want)
		}
		p.Shutdown(true)
	}
}

func TestZeroThreadPoolWorks(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var p futures.ThreadPoolExecutor
	defer p.Shutdown(true)
	if v, err := futures.Submit(&p, func() (string, error) { return "ok", nil }).Result(); v != "ok" || err != nil {
		t.Errorf("Result() = %q, %v", v, err)
	}
}

func TestCancelQueuedWork(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	g := newGate()
	futures.Submit(p, g.fn)
	ran := false
	f := futures.Submit(p, func() (int, error) { ran = true; return 1, nil })
	if !f.Cancel() {
		t.Fatal("Cancel of queued work failed")
	}
	g.open()
	after := futures.Submit(p, func() (int, error) { return 2, nil })
	after.Result() // the worker went past the cancelled work
	if ran {
		t.Error("cancelled work ran")
	}
	if _, err := f.Result(); !errors.Is(err, futures.ErrCancelled) || f.State() != futures.Cancelled {
		t.Errorf("cancelled future: %v, %v", err, f.State())
	}
}

func TestCancelRunningWorkFails(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	g := newGate()
	f := futures.Submit(p, g.fn)
	<-g.started
	if f.Cancel() {
		t.Error("Cancel of running work succeeded")
	}
	g.open()
	if v, err := f.Result(); v != "released" || err != nil {
		t.Errorf("Result() = %q, %v after a failed Cancel", v, err)
	}
}

func TestSubmitPanicBecomesPanicError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cause := errors.New("cause")
	for _, tc := range []struct {
		name  string
		value any
	}{
		{"String", "boom"},
		{"Error", cause},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := futures.NewThreadPool(1)
			defer p.Shutdown(true)
			_, err := futures.Submit(p, func() (int, error) { panic(tc.value) }).Result()
			var pe *futures.PanicError
			if !errors.As(err, &pe) || pe.Value != tc.value {
				t.Fatalf("error %v, want a *PanicError of %v", err, tc.value)
			}
			if !strings.Contains(string(pe.Stack), "TestSubmitPanicBecomesPanicError") {
				t.Errorf("stack does not show the panicking function:\n%s", pe.Stack)
			}
			if errors.Is(err, cause) != (tc.value == cause) {
				t.Errorf("errors.Is(err, cause) = %v", errors.Is(err, cause))
			}
			// The worker survived.
			if v, err := futures.Submit(p, func() (int, error) { return 1, nil }).Result(); v != 1 || err != nil {
				t.Errorf("after a panic: %v, %v", v, err)
			}
		})
	}
}

func TestSubmitGoexit(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	_, err := futures.Submit(p, func() (int, error) { runtime.Goexit(); return 0, nil }).Result()
	if err == nil || !strings.Contains(err.Error(), "futures: function called runtime.Goexit") {
		t.Errorf("error %v, want one saying runtime.Goexit was called", err)
	}
	if v, err := futures.Submit(p, func() (int, error) { return 1, nil }).Result(); v != 1 || err != nil {
		t.Errorf("after a Goexit: %v, %v", v, err)
	}
}

func TestShutdownWaitRunsQueuedWork(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	g := newGate()
	first := futures.Submit(p, g.fn)
	queued := futures.Submit(p, func() (int, error) { return 1, nil })
	<-g.started
	returned := make(chan struct{})
	go func() {
		p.Shutdown(true)
		close(returned)
	}()
	g.open()
	<-returned
	if !first.Done() || !queued.Done() {
		t.Fatalf("Shutdown(true) returned with work not done: %v, %v", first, queued)
	}
	if v, err := queued.Result(); v != 1 || err != nil {
		t.Errorf("queued work after Shutdown(true): %v, %v", v, err)
	}
}

func TestShutdownNoWaitReturnsAtOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	g := newGate()
	f := futures.Submit(p, g.fn)
	<-g.started
	p.Shutdown(false) // returns although the function is blocked
	g.open()
	if v, err := f.Result(); v != "released" || err != nil {
		t.Errorf("work after Shutdown(false): %q, %v", v, err)
	}
	p.Shutdown(true) // waits for the worker to exit, for the leak check
}

func TestSubmitAfterShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	p.Shutdown(true)
	ran := false
	f := futures.Submit(p, func() (int, error) { ran = true; return 1, nil })
	if _, err := f.Result(); err != futures.ErrShutdown || f.State() != futures.Finished {
		t.Errorf("Result() error %v, state %v; want ErrShutdown, finished", err, f.State())
	}
	if ran {
		t.Error("work submitted after Shutdown ran")
	}
}

func TestShutdownTwiceIsHarmless(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	f := futures.Submit(p, func() (int, error) { return 1, nil })
	p.Shutdown(false)
	p.Shutdown(true) // waits, although Shutdown(false) came first
	if f.State() != futures.Finished {
		t.Errorf("work submitted before Shutdown is %v after Shutdown(true), want finished", f.State())
	}
	p.Shutdown(true)
	p.ShutdownNow()
	if v, err := f.Result(); v != 1 || err != nil {
		t.Errorf("the work's result is %d, %v after more shutdowns, want 1, nil", v, err)
	}
	if _, err := futures.Submit(p, func() (int, error) { return 2, nil }).Result(); err != futures.ErrShutdown {
		t.Errorf("Submit after the shutdowns: %v, want ErrShutdown", err)
	}
}

func TestShutdownNowCancelsQueuedWork(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	g := newGate()
	running := futures.Submit(p, g.fn)
	<-g.started
	var mu sync.Mutex
	var called []futures.State // callbacks of the cancelled futures
	var queued []*futures.Future[int]
	for range 3 {
		f := futures.Submit(p, func() (int, error) { return 1, nil })
		f.AddDoneCallback(func(f *futures.Future[int]) {
			mu.Lock()
			defer mu.Unlock()
			called = append(called, f.State())
		})
		queued = append(queued, f)
	}
	p.ShutdownNow()
	mu.Lock()
	if len(called) != 3 {
		t.Errorf("%d callbacks ran during ShutdownNow, want 3", len(called))
	}
	mu.Unlock()
	for _, f := range queued {
		if _, err := f.Result(); !errors.Is(err, futures.ErrCancelled) {
			t.Errorf("queued work after ShutdownNow: %v", err)
		}
	}
	if running.State() != futures.Running {
		t.Errorf("running work is %v after ShutdownNow", running.State())
	}
	g.open()
	p.Shutdown(true)
	if v, err := running.Result(); v != "released" || err != nil {
		t.Errorf("running work after ShutdownNow: %q, %v", v, err)
	}
}

func TestShutdownLeavesNoGoroutine(t *testing.T) {
	defer goleak.VerifyNone(t)
	p := futures.NewThreadPool(8)
	var fs []*futures.Future[int]
	for i := range 100 {
		fs = append(fs, futures.Submit(p, func() (int, error) { return i, nil }))
	}
	p.Shutdown(true)
	for i, f := range fs {
		if v, _ := f.Result(); v != i {
			t.Fatalf("future %d has %d", i, v)
		}
	}
}

func TestSubmitFromWorker(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	outer := futures.Submit(p, func() (*futures.Future[int], error) {
		return futures.Submit(p, func() (int, error) { return 1, nil }), nil
	})
	inner, _ := outer.Result()
	if v, err := inner.Result(); v != 1 || err != nil {
		t.Errorf("work submitted from a worker: %v, %v", v, err)
	}
}

func TestSubmitMisusePanics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	for name, fn := range map[string]func(){
		"NilExecutor": func() { futures.Submit(nil, func() (int, error) { return 0, nil }) },
		"NilFunction": func() { futures.Submit[int](p, nil) },
		"NilPool":     func() { futures.Submit((*futures.ThreadPoolExecutor)(nil), func() (int, error) { return 0, nil }) },
	} {
		t.Run(name, func(t *testing.T) {
			if s, _ := mustPanic(t, fn).(string); !strings.HasPrefix(s, "futures: ") {
				t.Errorf("panic %q does not start with \"futures: \"", s)
			}
		})
	}
}

func TestGoexitInDoneCallbackKeepsPoolWorking(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	g := newGate()
	first := futures.Submit(p, g.fn)
	first.AddDoneCallback(func(*futures.Future[string]) { runtime.Goexit() })
	queued := futures.Submit(p, func() (int, error) { return 2, nil })
	g.open()
	if v, err := queued.Result(); v != 2 || err != nil {
		t.Errorf("work queued behind a Goexit in a callback: %v, %v", v, err)
	}
	if v, err := futures.Submit(p, func() (int, error) { return 3, nil }).Result(); v != 3 || err != nil {
		t.Errorf("work submitted after: %v, %v", v, err)
	}
}

func TestSubmittedFutureRejectsSetters(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	g := newGate()
	defer g.open()
	futures.Submit(p, g.fn)
	queued := futures.Submit(p, func() (int, error) { return 1, nil })
	for name, fn := range map[string]func(){
		"SetRunning": func() { queued.SetRunning() },
		"SetResult":  func() { queued.SetResult(2) },
		"SetError":   func() { queued.SetError(errors.New("x")) },
	} {
		t.Run(name, func(t *testing.T) {
			if s, _ := mustPanic(t, fn).(string); s != "futures: "+name+" on a Future made by an executor" {
				t.Errorf("panic %q", s)
			}
		})
	}
	if queued.State() != futures.Pending {
		t.Errorf("queued future is %v after the rejected calls", queued.State())
	}
}

package futures_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/futures"
)

func TestStateString(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for s, want := range map[futures.State]string{
		futures.Pending:   "pending",
		futures.Running:   "running",
		futures.Cancelled: "cancelled",
		futures.Finished:  "finished",
		futures.State(4):  "State(4)", // the first one past the names
		futures.State(9):  "State(9)",
	} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", s, got, want)
		}
	}
}

func TestErrorsMatchContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tc := range []struct {
		err, target error
		want        bool
	}{
		{futures.ErrCancelled, context.Canceled, true},
		{futures.ErrTimeout, context.DeadlineExceeded, true},
		{futures.ErrCancelled, context.DeadlineExceeded, false},
		{context.Canceled, futures.ErrCancelled, false}, // a ctx error is not a cancelled future
	} {
		if got := errors.Is(tc.err, tc.target); got != tc.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tc.err, tc.target, got, tc.want)
		}
	}
	for _, err := range []error{futures.ErrCancelled, futures.ErrTimeout, futures.ErrShutdown,
		futures.ErrBrokenWorker, futures.ErrNotRegistered, futures.ErrEncoding} {
		if !strings.HasPrefix(err.Error(), "futures: ") {
			t.Errorf("%q does not start with \"futures: \"", err)
		}
	}
}

func TestPanicError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cause := errors.New("cause")
	e := &futures.PanicError{Value: cause, Stack: []byte("the stack")}
	if got := e.Error(); got != "futures: panic: cause" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(e, cause) {
		t.Error("a PanicError does not unwrap to its error value")
	}
	if errors.Unwrap(&futures.PanicError{Value: "text"}) != nil {
		t.Error("a PanicError with a non-error value unwraps to non-nil")
	}
	if got := fmt.Sprintf("%v", e); strings.Contains(got, "the stack") {
		t.Errorf("%%v prints the stack: %q", got)
	}
	if got := fmt.Sprintf("%+v", e); !strings.Contains(got, "the stack") {
		t.Errorf("%%+v does not print the stack: %q", got)
	}
}

func TestZeroFutureIsPending(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	if f.State() != futures.Pending || f.Done() || f.Running() || f.Cancelled() {
		t.Errorf("zero future: state %v, Done %v, Running %v, Cancelled %v",
			f.State(), f.Done(), f.Running(), f.Cancelled())
	}
}

func TestFutureSetResult(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	f.SetResult(42)
	v, err := f.Result()
	if v != 42 || err != nil || f.State() != futures.Finished || !f.Done() {
		t.Errorf("Result() = %v, %v; state %v", v, err, f.State())
	}
}

func TestFutureSetError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	boom := errors.New("boom")
	f.SetError(boom)
	if v, err := f.Result(); v != 0 || err != boom || f.State() != futures.Finished {
		t.Errorf("Result() = %v, %v; state %v", v, err, f.State())
	}
}

func TestFutureSetRunning(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	if !f.SetRunning() || f.State() != futures.Running || !f.Running() {
		t.Fatalf("SetRunning on a pending future: state %v", f.State())
	}
	if f.Cancel() {
		t.Error("Cancel of a running future succeeded")
	}
	f.SetResult(1)
	if v, _ := f.Result(); v != 1 {
		t.Errorf("Result() = %v after SetRunning and SetResult", v)
	}
}

func TestFutureSetRunningAfterCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	f.Cancel()
	if f.SetRunning() {
		t.Error("SetRunning on a cancelled future returned true")
	}
	if f.State() != futures.Cancelled {
		t.Errorf("state %v after SetRunning on a cancelled future", f.State())
	}
}

func TestFutureMisusePanics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	finished := func() *futures.Future[int] { f := new(futures.Future[int]); f.SetResult(1); return f }
	cancelled := func() *futures.Future[int] { f := new(futures.Future[int]); f.Cancel(); return f }
	running := func() *futures.Future[int] { f := new(futures.Future[int]); f.SetRunning(); return f }
	for _, tc := range []struct {
		name string
		do   func()
		want string
	}{
		{"SetResultTwice", func() { finished().SetResult(2) }, "SetResult on a finished Future"},
		{"SetResultCancelled", func() { cancelled().SetResult(2) }, "SetResult on a cancelled Future"},
		{"SetErrorFinished", func() { finished().SetError(io.EOF) }, "SetError on a finished Future"},
		{"SetErrorNil", func() { new(futures.Future[int]).SetError(nil) }, "SetError with a nil error"},
		{"SetRunningTwice", func() { running().SetRunning() }, "SetRunning on a running Future"},
		{"SetRunningFinished", func() { finished().SetRunning() }, "SetRunning on a finished Future"},
		{"NilCallback", func() { new(futures.Future[int]).AddDoneCallback(nil) }, "nil function"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPanic(t, tc.do)
			if s := fmt.Sprint(p); !strings.HasPrefix(s, "futures: ") || !strings.Contains(s, tc.want) {
				t.Errorf("panic %q, want it to say %q", s, tc.want)
			}
		})
	}
}

func TestFutureCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tc := range []struct {
		name  string
		setup func(*futures.Future[int])
		want  bool
		state futures.State
	}{
		{"Pending", func(*futures.Future[int]) {}, true, futures.Cancelled},
		{"Cancelled", func(f *futures.Future[int]) { f.Cancel() }, true, futures.Cancelled},
		{"Running", func(f *futures.Future[int]) { f.SetRunning() }, false, futures.Running},
		{"Finished", func(f *futures.Future[int]) { f.SetResult(1) }, false, futures.Finished},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := new(futures.Future[int])
			tc.setup(f)
			if got := f.Cancel(); got != tc.want || f.State() != tc.state {
				t.Errorf("Cancel() = %v, state %v; want %v, %v", got, f.State(), tc.want, tc.state)
			}
		})
	}
}

func TestFutureCancelledResult(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[string]
	f.Cancel()
	v, err := f.Result()
	if v != "" || !errors.Is(err, futures.ErrCancelled) || !errors.Is(err, context.Canceled) {
		t.Errorf("Result() = %q, %v; want ErrCancelled", v, err)
	}
	if !f.Cancelled() || !f.Done() {
		t.Errorf("Cancelled %v, Done %v", f.Cancelled(), f.Done())
	}
}

func TestFutureResultBlocksUntilDone(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	got := make(chan int)
	go func() {
		v, _ := f.Result()
		got <- v
	}()
	select {
	case v := <-got:
		t.Fatalf("Result returned %v before the future was done", v)
	default:
	}
	f.SetResult(7)
	if v := <-got; v != 7 {
		t.Errorf("Result() = %v, want 7", v)
	}
}

func TestFutureResultContextEnds(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	v, err := f.ResultContext(ctx)
	if v != 0 || err != context.Canceled || errors.Is(err, futures.ErrCancelled) {
		t.Errorf("ResultContext() = %v, %v; want ctx.Err()", v, err)
	}
	if f.State() != futures.Pending {
		t.Errorf("the future became %v", f.State())
	}
}

func TestFutureResultContextPrefersResult(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	f.SetResult(3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if v, err := f.ResultContext(ctx); v != 3 || err != nil {
		t.Errorf("ResultContext() = %v, %v on a done future; want its result", v, err)
	}
}

func TestFutureResultContextWaits(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	go f.SetResult(5)
	if v, err := f.ResultContext(context.Background()); v != 5 || err != nil {
		t.Errorf("ResultContext() = %v, %v", v, err)
	}
}

func TestFutureResultTimeout(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	v, err := f.ResultTimeout(time.Millisecond)
	if v != 0 || err != futures.ErrTimeout || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ResultTimeout() = %v, %v; want ErrTimeout", v, err)
	}
	go f.SetResult(5)
	if v, err := f.ResultTimeout(0); v != 5 || err != nil { // 0: no limit
		t.Errorf("ResultTimeout(0) = %v, %v", v, err)
	}
	if v, err := f.ResultTimeout(time.Hour); v != 5 || err != nil {
		t.Errorf("ResultTimeout(time.Hour) on a done future = %v, %v", v, err)
	}
}

func TestFutureDoneChan(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	ch := f.DoneChan()
	select {
	case <-ch:
		t.Fatal("DoneChan closed before the future was done")
	default:
	}
	f.SetResult(1)
	<-ch
	<-f.DoneChan()
}

func TestFutureDoneChanOfDoneFuture(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var cancelled, finished futures.Future[int]
	cancelled.Cancel()
	finished.SetResult(1)
	for name, f := range map[string]*futures.Future[int]{"cancelled": &cancelled, "finished": &finished} {
		select {
		case <-f.DoneChan():
		default:
			t.Errorf("DoneChan of a %s future is not closed", name)
		}
	}
}

func TestFutureCallbacksRunOnceInOrderWhenDone(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	var calls []string
	for _, name := range []string{"a", "b", "c"} {
		f.AddDoneCallback(func(g *futures.Future[int]) {
			if g != &f {
				t.Errorf("callback %s got another future", name)
			}
			calls = append(calls, name)
		})
	}
	if len(calls) != 0 {
		t.Fatalf("callbacks ran before the future was done: %v", calls)
	}
	f.SetResult(1)
	// They ran on this goroutine, the one that completed the future, before
	// SetResult returned.
	if got := strings.Join(calls, ""); got != "abc" {
		t.Errorf("callbacks ran as %q, want \"abc\"", got)
	}
}

func TestFutureCallbackOfDoneFutureRunsAtOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	f.SetResult(1)
	ran := false
	f.AddDoneCallback(func(*futures.Future[int]) { ran = true })
	if !ran {
		t.Error("callback on a done future did not run before AddDoneCallback returned")
	}
}

func TestFutureCallbackOnCancel(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var f futures.Future[int]
	var state futures.State
	f.AddDoneCallback(func(g *futures.Future[int]) { state = g.State() })
	f.Cancel()
	if state != futures.Cancelled {
		t.Errorf("callback saw state %v, want cancelled", state)
	}
}

func TestFutureCallbackPanicIsLogged(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var buf bytes.Buffer
	defer log.SetOutput(log.Writer())
	log.SetOutput(&buf)
	var f futures.Future[int]
	f.AddDoneCallback(func(*futures.Future[int]) { panic("bad callback") })
	later := false
	f.AddDoneCallback(func(*futures.Future[int]) { later = true })
	f.SetResult(1)
	if !later {
		t.Error("a panicking callback kept the next one from running")
	}
	if out := buf.String(); !strings.Contains(out, "futures: panic in a done callback") ||
		!strings.Contains(out, "bad callback") || !strings.Contains(out, "goroutine ") {
		t.Errorf("log %q lacks the panic or its stack", out)
	}
}

func TestFutureString(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tc := range []struct {
		setup func(*futures.Future[int])
		want  string
	}{
		{func(*futures.Future[int]) {}, "state=pending>"},
		{func(f *futures.Future[int]) { f.SetRunning() }, "state=running>"},
		{func(f *futures.Future[int]) { f.Cancel() }, "state=cancelled>"},
		{func(f *futures.Future[int]) { f.SetResult(1) }, "state=finished returned int>"},
		{func(f *futures.Future[int]) { f.SetError(io.EOF) }, "state=finished raised *errors.errorString>"},
	} {
		f := new(futures.Future[int])
		tc.setup(f)
		got := f.String()
		if !regexp.MustCompile(`^<Future at 0x[0-9a-f]+ `).MatchString(got) || !strings.HasSuffix(got, tc.want) {
			t.Errorf("String() = %q, want <Future at 0x... %s", got, tc.want)
		}
	}
}

func TestFutureGoroutineSafe(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// Many goroutines wait, poll and add callbacks while another completes
	// the future; the race detector checks the rest.
	var f futures.Future[int]
	const n = 8
	results := make(chan int, 2*n)
	for range n {
		go func() {
			v, _ := f.Result()
			results <- v
		}()
		go func() {
			_ = f.State()
			_ = f.String()
			f.AddDoneCallback(func(g *futures.Future[int]) {
				v, _ := g.Result()
				results <- v
			})
		}()
	}
	go f.SetResult(9)
	for range 2 * n {
		if v := <-results; v != 9 {
			t.Fatalf("got %v, want 9", v)
		}
	}
}

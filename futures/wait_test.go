package futures_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/futures"
)

// A setup puts a bare future into a state for Wait and AsCompleted tests.
type setup func(*futures.Future[int])

var (
	pending   setup = func(*futures.Future[int]) {}
	succeeded setup = func(f *futures.Future[int]) { f.SetResult(1) }
	failed    setup = func(f *futures.Future[int]) { f.SetError(errors.New("failed")) }
	cancelled setup = func(f *futures.Future[int]) { f.Cancel() }
)

func makeFutures(setups ...setup) []*futures.Future[int] {
	fs := make([]*futures.Future[int], len(setups))
	for i, s := range setups {
		fs[i] = new(futures.Future[int])
		s(fs[i])
	}
	return fs
}

// indexes returns the positions in all of the futures in some.
func indexes(all, some []*futures.Future[int]) []int {
	var is []int
	for _, f := range some {
		is = append(is, slices.Index(all, f))
	}
	return is
}

func TestWaitOnFuturesInGivenStates(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// Cases where the outcome is decided by the states the futures are in
	// when Wait is called. A short timeout ends the waits that must time out.
	const timeout = 10 * time.Millisecond
	for _, tc := range []struct {
		name          string
		when          futures.ReturnWhen
		setups        []setup
		done, notDone []int
	}{
		{"AllCompletedAllDone", futures.AllCompleted, []setup{succeeded, failed, cancelled}, []int{0, 1, 2}, nil},
		{"AllCompletedTimeout", futures.AllCompleted, []setup{succeeded, pending}, []int{0}, []int{1}},
		{"FirstCompletedOneDone", futures.FirstCompleted, []setup{pending, succeeded, pending}, []int{1}, []int{0, 2}},
		{"FirstCompletedTimeout", futures.FirstCompleted, []setup{pending, pending}, nil, []int{0, 1}},
		{"FirstExceptionFailed", futures.FirstException, []setup{pending, failed}, []int{1}, []int{0}},
		{"FirstExceptionNoneFailedAllDone", futures.FirstException, []setup{succeeded, succeeded}, []int{0, 1}, nil},
		{"FirstExceptionSucceededIsNotEnough", futures.FirstException, []setup{succeeded, pending}, []int{0}, []int{1}},
		{"FirstExceptionCancelledIsNotAnError", futures.FirstException, []setup{cancelled, pending}, []int{0}, []int{1}},
		{"Empty", futures.AllCompleted, nil, nil, nil},
		{"DuplicatesKept", futures.AllCompleted, []setup{succeeded}, []int{0, 0}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := makeFutures(tc.setups...)
			if tc.name == "DuplicatesKept" {
				fs = append(fs, fs[0])
			}
			done, notDone := futures.Wait(fs, timeout, tc.when)
			if got := indexes(fs, done); !slices.Equal(got, tc.done) {
				t.Errorf("done %v, want %v", got, tc.done)
			}
			if got := indexes(fs, notDone); !slices.Equal(got, tc.notDone) {
				t.Errorf("notDone %v, want %v", got, tc.notDone)
			}
		})
	}
}

func TestWaitReturnsWhenConditionIsMet(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tc := range []struct {
		name     string
		when     futures.ReturnWhen
		complete []setup // applied in turn to futures 0, 1, ... while Wait waits
		done     []int
	}{
		{"FirstCompleted", futures.FirstCompleted, []setup{succeeded}, []int{0}},
		{"FirstException", futures.FirstException, []setup{succeeded, failed}, []int{0, 1}},
		{"FirstExceptionFailedFirst", futures.FirstException, []setup{failed}, []int{0}},
		{"AllCompleted", futures.AllCompleted, []setup{succeeded, cancelled, failed}, []int{0, 1, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := makeFutures(pending, pending, pending)
			returned := make(chan []*futures.Future[int])
			go func() {
				done, _ := futures.Wait(fs, 0, tc.when)
				returned <- done
			}()
			for i, s := range tc.complete {
				select {
				case done := <-returned:
					t.Fatalf("Wait returned %v before future %d completed", indexes(fs, done), i)
				default:
				}
				s(fs[i])
			}
			var done []*futures.Future[int]
			select {
			case done = <-returned:
			case <-time.After(hangLimit):
				for _, f := range fs {
					f.Cancel() // lets Wait return
				}
				<-returned
				t.Fatalf("Wait still waits %v after the condition was met", hangLimit)
			}
			if got := indexes(fs, done); !slices.Equal(got, tc.done) {
				t.Errorf("done %v, want %v", got, tc.done)
			}
		})
	}
}

func TestWaitMixesResultTypes(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	a, b := new(futures.Future[int]), new(futures.Future[string])
	b.SetResult("b")
	done, notDone := futures.Wait([]futures.Waitable{a, b}, 0, futures.FirstCompleted)
	if len(done) != 1 || done[0] != futures.Waitable(b) || len(notDone) != 1 || notDone[0] != futures.Waitable(a) {
		t.Errorf("done %v, notDone %v", done, notDone)
	}
}

func TestWaitForgetsFuturesItLeaves(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fs := makeFutures(pending, pending)
	futures.Wait(fs, time.Millisecond, futures.AllCompleted)
	for i, f := range fs {
		if n := futures.Waiters(f); n != 0 {
			t.Errorf("future %d still has %d waiters after Wait returned", i, n)
		}
	}
}

func TestWaitMisusePanics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for name, fn := range map[string]func(){
		"InvalidReturnWhen": func() { futures.Wait(makeFutures(succeeded), 0, 0) },
		"NilFuture":         func() { futures.Wait([]*futures.Future[int]{nil}, 0, futures.AllCompleted) },
		"NilWaitable":       func() { futures.Wait([]futures.Waitable{nil}, 0, futures.AllCompleted) },
	} {
		t.Run(name, func(t *testing.T) {
			if p := fmt.Sprint(mustPanic(t, fn)); p[:9] != "futures: " {
				t.Errorf("panic %q does not start with \"futures: \"", p)
			}
		})
	}
}

func TestAsCompletedYieldsInCompletionOrder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fs := makeFutures(pending, pending, succeeded, pending)
	var order []int
	for f := range futures.AsCompleted(context.Background(), fs) {
		i := slices.Index(fs, f)
		order = append(order, i)
		// Each future completes only after the previous one was yielded.
		switch i {
		case 2:
			fs[3].SetResult(3)
		case 3:
			fs[0].Cancel()
		case 0:
			go fs[1].SetResult(1) // from another goroutine
		}
	}
	if want := []int{2, 3, 0, 1}; !slices.Equal(order, want) {
		t.Errorf("yielded %v, want %v", order, want)
	}
}

func TestAsCompletedYieldsDoneFuturesFirstInInputOrder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fs := makeFutures(succeeded, pending, failed, cancelled)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // even so, what is done is yielded
	var order []int
	for f := range futures.AsCompleted(ctx, fs) {
		order = append(order, slices.Index(fs, f))
	}
	if want := []int{0, 2, 3}; !slices.Equal(order, want) {
		t.Errorf("yielded %v, want %v", order, want)
	}
	if n := futures.Waiters(fs[1]); n != 0 {
		t.Errorf("the pending future has %d waiters after the loop", n)
	}
}

func TestAsCompletedEndsWithContext(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fs := makeFutures(pending, succeeded)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	for range futures.AsCompleted(ctx, fs) {
		n++
		cancel()
	}
	if n != 1 || ctx.Err() == nil {
		t.Errorf("%d futures yielded, ctx.Err() = %v; want 1 and the ctx error", n, ctx.Err())
	}
}

func TestAsCompletedYieldsDuplicatesOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := new(futures.Future[int])
	f.SetResult(1)
	n := 0
	for range futures.AsCompleted(context.Background(), []*futures.Future[int]{f, f}) {
		n++
	}
	if n != 1 {
		t.Errorf("yielded %d times, want once", n)
	}
}

func TestAsCompletedBreakForgetsFutures(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	fs := makeFutures(succeeded, pending)
	for range futures.AsCompleted(context.Background(), fs) {
		break
	}
	if n := futures.Waiters(fs[1]); n != 0 {
		t.Errorf("the pending future has %d waiters after a break", n)
	}
}

func TestAsCompletedWithPool(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(4)
	defer p.Shutdown(true)
	var fs []futures.Waitable
	for i := range 8 {
		fs = append(fs, futures.Submit(p, func() (int, error) { return i, nil }))
	}
	n := 0
	for range futures.AsCompleted(context.Background(), fs) {
		n++
	}
	if n != 8 {
		t.Errorf("yielded %d futures, want 8", n)
	}
}

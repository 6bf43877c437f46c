package futures_test

import (
	"errors"
	"maps"
	"slices"
	"sync/atomic"
	"testing"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/futures"
)

func TestMapYieldsInInputOrder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(4)
	defer p.Shutdown(true)
	// The first call finishes last: it waits for the last one.
	lastDone := make(chan struct{})
	square := func(x int) (int, error) {
		switch x {
		case 0:
			<-lastDone
		case 3:
			defer close(lastDone)
		}
		return x * x, nil
	}
	var got []int
	for v, err := range futures.Map(p, square, slices.Values([]int{0, 1, 2, 3})) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if want := []int{0, 1, 4, 9}; !slices.Equal(got, want) {
		t.Errorf("Map yielded %v, want %v", got, want)
	}
}

func TestMapYieldsEachError(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(2)
	defer p.Shutdown(true)
	odd := errors.New("odd")
	check := func(x int) (int, error) {
		if x%2 == 1 {
			return 0, odd
		}
		return x, nil
	}
	var errs []error
	for _, err := range futures.Map(p, check, slices.Values([]int{0, 1, 2, 3})) {
		errs = append(errs, err)
	}
	if want := []error{nil, odd, nil, odd}; !slices.Equal(errs, want) {
		t.Errorf("errors %v, want %v", errs, want)
	}
}

func TestMapBreakCancelsQueuedCalls(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	release := make(chan struct{})
	var calls atomic.Int32
	fn := func(x int) (int, error) {
		calls.Add(1)
		if x == 1 {
			<-release // holds back 2, 3 and 4 in the queue
		}
		return x, nil
	}
	for range futures.Map(p, fn, slices.Values([]int{0, 1, 2, 3, 4})) {
		break
	}
	close(release)
	p.Shutdown(true)
	if n := calls.Load(); n > 2 {
		t.Errorf("%d calls ran, want at most 2 (0, and 1 if it had started)", n)
	}
}

func TestMapSubmitsWhenRanged(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	var calls atomic.Int32
	seq := futures.Map(p, func(x int) (int, error) { calls.Add(1); return x, nil }, slices.Values([]int{1, 2}))
	if calls.Load() != 0 {
		t.Fatal("Map ran calls before its sequence was ranged over")
	}
	for range 2 {
		for range seq {
		}
	}
	if n := calls.Load(); n != 4 {
		t.Errorf("%d calls after ranging twice over 2 arguments, want 4", n)
	}
}

func TestMapEmpty(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	for range futures.Map(p, func(x int) (int, error) { return x, nil }, maps.Keys(map[int]bool{})) {
		t.Error("Map of nothing yielded")
	}
}

func TestMapAfterShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	p.Shutdown(true)
	for _, err := range futures.Map(p, func(x int) (int, error) { return x, nil }, slices.Values([]int{1})) {
		if err != futures.ErrShutdown {
			t.Errorf("error %v, want ErrShutdown", err)
		}
	}
}

func TestMapMisusePanics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewThreadPool(1)
	defer p.Shutdown(true)
	mustPanic(t, func() { futures.Map[int, int](p, nil, slices.Values([]int{1})) })
	mustPanic(t, func() { futures.Map(nil, func(x int) (int, error) { return x, nil }, slices.Values([]int{1})) })
	mustPanic(t, func() { futures.Map(p, func(x int) (int, error) { return x, nil }, nil) })
}

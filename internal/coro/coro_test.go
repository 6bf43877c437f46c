package coro

import (
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartSuspendResume(t *testing.T) {
	c := New()
	defer c.Stop()
	var steps []string
	step := func(s string) { steps = append(steps, s) }
	fn := func(arg any) {
		step("start " + arg.(string))
		c.Suspend()
		step("resumed")
		c.Suspend()
		step("end")
	}
	for _, want := range []bool{false, false, true} {
		var finished bool
		if len(steps) == 0 {
			finished = c.Start(fn, "x")
		} else {
			finished = c.Resume()
		}
		if finished != want {
			t.Fatalf("after %v: finished=%v, want %v", steps, finished, want)
		}
		step("owner")
	}
	want := "start x,owner,resumed,owner,end,owner"
	if got := strings.Join(steps, ","); got != want {
		t.Errorf("steps %s, want %s", got, want)
	}
}

func TestReuseRunsOnSameGoroutine(t *testing.T) {
	c := New()
	defer c.Stop()
	n := 0
	for range 3 {
		if !c.Start(func(any) { n++ }, nil) {
			t.Fatal("a function that does not suspend did not finish")
		}
	}
	if n != 3 {
		t.Errorf("ran %d functions, want 3", n)
	}
}

func TestStopUnwindsSuspendedFunction(t *testing.T) {
	c := New()
	var order []string
	c.Start(func(any) {
		defer func() { order = append(order, "deferred") }()
		c.Suspend()
		order = append(order, "not reached")
	}, nil)
	c.Stop()
	c.Stop() // repeated Stop is harmless
	if strings.Join(order, ",") != "deferred" {
		t.Errorf("order %v, want only the deferred call", order)
	}
}

func TestStopUnwindsFunctionThatSuspendsInDefer(t *testing.T) {
	c := New()
	unwound := false
	c.Start(func(any) {
		defer func() { unwound = true }()
		defer c.Suspend() // suspending while unwinding panics again
		c.Suspend()
	}, nil)
	c.Stop()
	if !unwound {
		t.Error("the function was not unwound")
	}
}

func TestStopIdleAndUnstarted(t *testing.T) {
	cases := []struct {
		name string
		make func(t *testing.T) *Coro
	}{
		{"unstarted", func(*testing.T) *Coro { return New() }},
		{"idle after its function returned", func(t *testing.T) *Coro {
			c := New()
			if !c.Start(func(any) {}, nil) {
				t.Fatal("Start of a function that returns reported it unfinished")
			}
			return c
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opt := goleak.IgnoreCurrent()
			c := tc.make(t)
			c.Stop()
			c.Stop()                  // safe to repeat
			goleak.VerifyNone(t, opt) // the Coro's goroutine has ended
		})
	}
}

func TestPanicPropagatesToOwner(t *testing.T) {
	c := New()
	defer func() {
		if p := recover(); p != "boom" {
			t.Errorf("recovered %v, want boom", p)
		}
	}()
	c.Start(func(any) { panic("boom") }, nil)
	t.Error("Start returned after a panic")
}

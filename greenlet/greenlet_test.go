package greenlet_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/greenlet"
)

// mustPanic calls fn and returns what it panicked with, failing the test if
// it returned.
func mustPanic(t *testing.T, fn func()) (p any) {
	t.Helper()
	defer func() { p = recover() }()
	fn()
	t.Fatal("did not panic")
	return nil
}

// parked returns a greenlet that has started and is suspended in a switch
// back to the caller, and that returns what that switch receives.
func parked(t *testing.T) *greenlet.Greenlet {
	t.Helper()
	main := greenlet.Current()
	g := greenlet.New(func(...any) any { return main.Switch() })
	g.Switch()
	return g
}

func TestSwitchStartPassesArgsToRun(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tests := []struct {
		name string
		args []any
	}{
		{"none", nil},
		{"one", []any{1}},
		{"several", []any{1, "a", nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []any
			g := greenlet.New(func(args ...any) any {
				got = args
				return "done"
			})
			if v := g.Switch(tt.args...); v != "done" {
				t.Errorf("Switch returned %v, want run's value", v)
			}
			if !reflect.DeepEqual(got, tt.args) {
				t.Errorf("run got %#v, want %#v", got, tt.args)
			}
		})
	}
}

func TestSwitchResumeDeliversArgs(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tests := []struct {
		name string
		args []any
		want any
	}{
		{"none", nil, nil},
		{"one", []any{7}, 7},
		{"one slice", []any{[]any{7}}, []any{7}},
		{"several", []any{7, "x"}, []any{7, "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := parked(t)
			// g's pending Switch returns the args, g returns them, and so
			// they come back as the value of this Switch.
			if got := g.Switch(tt.args...); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestSwitchCopiesSeveralArgs(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := parked(t)
	args := []any{1, 2}
	got := g.Switch(args...).([]any)
	args[0] = 99
	if got[0] != 1 {
		t.Errorf("the greenlet's value changed with the caller's slice: %v", got)
	}
}

func TestSwitchBackReturnsValue(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	main := greenlet.Current()
	g := greenlet.New(func(...any) any {
		main.Switch("first")
		main.Switch("second")
		return "last"
	})
	for _, want := range []string{"first", "second", "last"} {
		if got := g.Switch(); got != want {
			t.Errorf("got %v, want %v", got, want)
		}
	}
}

func TestSwitchToRunningGreenletReturnsAtOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	if got := greenlet.Current().Switch(1, 2); !reflect.DeepEqual(got, []any{1, 2}) {
		t.Errorf("main: got %v", got)
	}
	g := greenlet.New(func(...any) any {
		return greenlet.Current().Switch("self")
	})
	if got := g.Switch(); got != "self" {
		t.Errorf("greenlet: got %v", got)
	}
}

func TestFinishReturnsToParent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	main := greenlet.Current()
	var child *greenlet.Greenlet
	var got any
	gr1 := greenlet.New(func(...any) any {
		child = greenlet.New(func(...any) any { return "from child" })
		got = main.Switch() // resumed by child's end, not by main
		return "gr1 done"
	})
	gr1.Switch()
	// main switches to child, but child returns to its parent, gr1, which
	// then returns to main.
	if v := child.Switch(); v != "gr1 done" {
		t.Errorf("main got %v, want gr1's value", v)
	}
	if got != "from child" {
		t.Errorf("gr1 got %v, want the child's value", got)
	}
	if !child.Dead() || !gr1.Dead() {
		t.Errorf("Dead: child %v, gr1 %v", child.Dead(), gr1.Dead())
	}
}

func TestFinishSkipsDeadParent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	main := greenlet.Current()
	var child *greenlet.Greenlet
	gr1 := greenlet.New(func(...any) any {
		child = greenlet.New(func(...any) any { return "orphan" })
		main.Switch()
		return nil
	})
	gr1.Switch()
	gr1.Switch() // gr1 ends
	if v := child.Switch(); v != "orphan" {
		t.Errorf("got %v, want the child's value at its grandparent", v)
	}
}

func TestPanicPropagatesToParent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	errDisk := errors.New("disk full")
	tests := []struct {
		name  string
		value any
	}{
		{"string", "boom"},
		{"error", errDisk},
		{"nil", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := greenlet.New(func(...any) any { panicker(tt.value); return nil })
			p := mustPanic(t, func() { g.Switch() })
			pe, ok := p.(*greenlet.PanicError)
			if !ok {
				t.Fatalf("panic value %#v, want *PanicError", p)
			}
			if tt.value != nil && pe.Value != tt.value {
				t.Errorf("Value %v, want %v", pe.Value, tt.value)
			}
			if err, ok := tt.value.(error); ok && !errors.Is(pe, err) {
				t.Errorf("%v does not match %v", pe, err)
			}
			if !strings.Contains(string(pe.Stack), "panicker") {
				t.Errorf("Stack lacks the panicking function:\n%s", pe.Stack)
			}
			if !strings.HasPrefix(pe.Error(), "greenlet: panic: ") {
				t.Errorf("Error() = %q", pe.Error())
			}
			if !g.Dead() {
				t.Error("the greenlet that panicked is not dead")
			}
		})
	}
}

func panicker(v any) { panic(v) }

func TestPanicPassesThroughGreenlets(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := greenlet.New(func(...any) any {
		inner := greenlet.New(func(...any) any { panic("deep") })
		inner.Switch() // panics with a *PanicError that escapes g too
		return nil
	})
	pe, ok := mustPanic(t, func() { g.Switch() }).(*greenlet.PanicError)
	if !ok || pe.Value != "deep" {
		t.Fatalf("got %#v, want the inner *PanicError unchanged", pe)
	}
	// The world lives on.
	if v := greenlet.New(func(...any) any { return 1 }).Switch(); v != 1 {
		t.Errorf("after the panic, got %v", v)
	}
}

func TestSwitchToDeadPanics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	g := greenlet.New(func(...any) any { return nil })
	g.Switch()
	for name, fn := range map[string]func(){
		"Switch": func() { g.Switch() },
		"Throw":  func() { g.Throw(errors.New("x")) },
	} {
		if p := mustPanic(t, fn); p != greenlet.ErrDead {
			t.Errorf("%s: panic %v, want ErrDead", name, p)
		}
	}
	if !strings.HasPrefix(greenlet.ErrDead.Error(), "greenlet: ") {
		t.Errorf("ErrDead text %q", greenlet.ErrDead)
	}
}

func TestWrongGoroutinePanics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	calls := map[string]func(g *greenlet.Greenlet){
		"Switch": func(g *greenlet.Greenlet) { g.Switch() },
		"Throw":  func(g *greenlet.Greenlet) { g.Throw(nil) },
		"Kill":   func(g *greenlet.Greenlet) { g.Kill() },
	}
	for name, call := range calls {
		t.Run(name+"/main running", func(t *testing.T) {
			g := parked(t)
			if p := onOtherGoroutine(func() { call(g) }); p != greenlet.ErrWrongGoroutine {
				t.Errorf("panic %v, want ErrWrongGoroutine", p)
			}
			if v := g.Switch("still mine"); v != "still mine" {
				t.Errorf("after the misuse, got %v", v)
			}
		})
		t.Run(name+"/greenlet running", func(t *testing.T) {
			target := parked(t)
			var p any
			g := greenlet.New(func(...any) any {
				p = onOtherGoroutine(func() { call(target) })
				return nil
			})
			g.Switch()
			if p != greenlet.ErrWrongGoroutine {
				t.Errorf("panic %v, want ErrWrongGoroutine", p)
			}
			target.Switch()
		})
	}
}

// onOtherGoroutine runs fn on a new goroutine, waits for it, and returns
// what fn panicked with.
func onOtherGoroutine(fn func()) (p any) {
	done := make(chan any)
	go func() {
		defer func() { done <- recover() }()
		fn()
	}()
	return <-done
}

func TestSwitchFromGreenletOfAnotherWorldPanics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	target := parked(t)
	p := onOtherGoroutine(func() {
		// This goroutine's own world runs g, which switches to a greenlet
		// of the test goroutine's world.
		g := greenlet.New(func(...any) any { target.Switch(); return nil })
		g.Switch()
	})
	pe, ok := p.(*greenlet.PanicError)
	if !ok || pe.Value != greenlet.ErrWrongGoroutine {
		t.Errorf("panic %v, want a *PanicError of ErrWrongGoroutine", p)
	}
	target.Switch()
}

func TestThrowRaisesInPendingSwitch(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	errStop := errors.New("stop")
	main := greenlet.Current()
	var caught any
	g := greenlet.New(func(...any) any {
		defer func() {
			caught = recover()
			main.Switch("recovered")
		}()
		main.Switch()
		t.Error("pending Switch returned instead of panicking")
		return nil
	})
	g.Switch()
	if v := g.Throw(errStop); v != "recovered" {
		t.Errorf("Throw returned %v, want the value switched back", v)
	}
	if caught != errStop {
		t.Errorf("greenlet caught %v, want the thrown error", caught)
	}
	g.Switch() // let it end
}

func TestThrowUncaughtReachesParent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	errStop := errors.New("stop")
	g := parked(t)
	pe, ok := mustPanic(t, func() { g.Throw(errStop) }).(*greenlet.PanicError)
	if !ok || !errors.Is(pe, errStop) {
		t.Errorf("got %v, want a *PanicError matching the thrown error", pe)
	}
	if !g.Dead() {
		t.Error("not dead")
	}
}

func TestThrowKilledEndsNormally(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, err := range []error{nil, greenlet.ErrKilled, fmt.Errorf("wrapped: %w", greenlet.ErrKilled)} {
		g := parked(t)
		v := g.Throw(err)
		if e, ok := v.(error); !ok || !errors.Is(e, greenlet.ErrKilled) {
			t.Errorf("Throw(%v) returned %v, want an error matching ErrKilled", err, v)
		}
		if !g.Dead() {
			t.Errorf("Throw(%v): not dead", err)
		}
	}
}

func TestThrowUnstartedDiesWithoutRunning(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	errStop := errors.New("stop")
	ran := false
	run := func(...any) any { ran = true; return nil }

	g := greenlet.New(run)
	if v := g.Throw(nil); v != greenlet.ErrKilled {
		t.Errorf("Throw(nil) returned %v, want ErrKilled", v)
	}
	h := greenlet.New(run)
	pe, ok := mustPanic(t, func() { h.Throw(errStop) }).(*greenlet.PanicError)
	if !ok || pe.Value != errStop {
		t.Errorf("Throw(errStop) panicked with %v", pe)
	}
	if ran || !g.Dead() || !h.Dead() {
		t.Errorf("ran %v, dead %v %v", ran, g.Dead(), h.Dead())
	}
}

func TestThrowRunningPanicsInCaller(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	errStop := errors.New("stop")
	if p := mustPanic(t, func() { greenlet.Current().Throw(errStop) }); p != errStop {
		t.Errorf("main: panic %v", p)
	}
	g := greenlet.New(func(...any) any {
		defer func() { recover() }()
		greenlet.Current().Throw(errStop)
		return "not reached"
	})
	if v := g.Switch(); v != nil {
		t.Errorf("greenlet returned %v", v)
	}
}

func TestThrowIntoMain(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	errStop := errors.New("stop")
	main := greenlet.Current()
	g := greenlet.New(func(...any) any {
		main.Throw(errStop)
		return nil
	})
	if p := mustPanic(t, func() { g.Switch() }); p != errStop {
		t.Errorf("main's Switch panicked with %v, want the thrown error", p)
	}
	g.Kill()
}

func TestKillRunsDeferredCallsAndReturns(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	main := greenlet.Current()
	var order []string
	var victim *greenlet.Greenlet
	// victim's parent is gr1, yet it returns to its killer, main.
	gr1 := greenlet.New(func(...any) any {
		victim = greenlet.New(func(...any) any {
			defer func() { order = append(order, "victim deferred") }()
			main.Switch()
			return nil
		})
		victim.Switch()
		return nil
	})
	gr1.Switch()
	victim.Kill()
	order = append(order, "Kill returned")
	if got := strings.Join(order, ", "); got != "victim deferred, Kill returned" {
		t.Errorf("order: %s", got)
	}
	if !victim.Dead() || victim.Parent() != main {
		t.Errorf("dead %v, parent %p, want main %p", victim.Dead(), victim.Parent(), main)
	}
	gr1.Kill()
}

func TestKillStates(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ran := false
	unstarted := greenlet.New(func(...any) any { ran = true; return nil })
	unstarted.Kill()
	if ran || !unstarted.Dead() {
		t.Errorf("unstarted: ran %v, dead %v", ran, unstarted.Dead())
	}
	unstarted.Kill() // dead: nothing happens

	if p := mustPanic(t, func() { greenlet.Current().Kill() }); !strings.Contains(fmt.Sprint(p), "greenlet: Kill of a main greenlet") {
		t.Errorf("main: panic %v", p)
	}

	self := greenlet.New(func(...any) any {
		greenlet.Current().Kill()
		return "not reached"
	})
	if v := self.Switch(); v != greenlet.ErrKilled || !self.Dead() {
		t.Errorf("self: returned %v, dead %v", v, self.Dead())
	}
}

func TestKillRecoveredReturnsAtNextSwitch(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	main := greenlet.Current()
	stubborn := greenlet.New(func(...any) any {
		func() {
			defer func() { recover() }()
			main.Switch()
		}()
		main.Switch("dropped") // Kill returns here
		return nil
	})
	stubborn.Switch()
	stubborn.Kill()
	if stubborn.Dead() {
		t.Fatal("dead, though it recovered")
	}
	stubborn.Kill()
	if !stubborn.Dead() {
		t.Error("the second Kill did not end it")
	}
}

func TestCurrentAndParent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	main := greenlet.Current()
	if main == nil || main != greenlet.Current() {
		t.Fatalf("Current in ordinary code: %p then %p", main, greenlet.Current())
	}
	if main.Parent() != nil || main.Dead() {
		t.Errorf("main: parent %p, dead %v", main.Parent(), main.Dead())
	}
	var cur, childParent *greenlet.Greenlet
	var g *greenlet.Greenlet
	g = greenlet.New(func(...any) any {
		cur = greenlet.Current()
		childParent = greenlet.New(func(...any) any { return nil }).Parent()
		return nil
	})
	if g.Parent() != main || g.Dead() {
		t.Errorf("new: parent %p, dead %v", g.Parent(), g.Dead())
	}
	g.Switch()
	if cur != g || childParent != g {
		t.Errorf("in g: Current %p, child's parent %p, want g %p", cur, childParent, g)
	}
	if greenlet.Current() != main {
		t.Error("Current changed after the switch back")
	}
	var other *greenlet.Greenlet
	onOtherGoroutine(func() { other = greenlet.Current() })
	if other == main || other == nil {
		t.Errorf("another goroutine's main greenlet %p, this one's %p", other, main)
	}
}

func TestWorldsRunConcurrently(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	done := make(chan [2]int)
	for range 4 {
		go func() {
			var a, b *greenlet.Greenlet
			n := [2]int{}
			a = greenlet.New(func(...any) any {
				for range 100 {
					n[0]++
					b.Switch()
				}
				return nil
			})
			b = greenlet.New(func(...any) any {
				for {
					n[1]++
					a.Switch()
				}
			})
			a.Switch()
			b.Kill()
			done <- n
		}()
	}
	for range 4 {
		if n := <-done; n != [2]int{100, 100} {
			t.Errorf("counts %v", n)
		}
	}
}

func TestNoGoroutineLeak(t *testing.T) {
	defer goleak.VerifyNone(t)
	for range 10 {
		greenlet.New(func(...any) any { return nil }) // never started
	}
	greenlet.New(func(...any) any { return nil }).Switch()
	g := parked(t)
	if goleak.Find() == nil {
		t.Error("a suspended greenlet holds no goroutine")
	}
	g.Kill()
}

func TestNewNilRunPanics(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := mustPanic(t, func() { greenlet.New(nil) })
	if !strings.HasPrefix(fmt.Sprint(p), "greenlet: ") {
		t.Errorf("panic %v", p)
	}
	var zero greenlet.Greenlet
	if p := mustPanic(t, func() { zero.Switch() }); !strings.HasPrefix(fmt.Sprint(p), "greenlet: ") {
		t.Errorf("zero Greenlet: panic %v", p)
	}
}

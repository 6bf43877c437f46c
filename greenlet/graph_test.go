package greenlet_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/greenlet"
)

func TestSwitchGraph(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	main := greenlet.Current()
	var trace []string
	rec := func(s string) { trace = append(trace, s) }
	var gr1, gr2, gr3 *greenlet.Greenlet
	gr1 = greenlet.New(func(...any) any {
		rec("gr1 a")
		gr2.Switch()
		rec("gr1 b")
		gr3.Switch()
		rec("gr1 c")
		return nil
	})
	gr2 = greenlet.New(func(...any) any {
		rec("gr2 a")
		gr1.Switch()
		rec("gr2 b")
		main.Switch()
		rec("gr2 c")
		return nil
	})
	gr3 = greenlet.New(func(...any) any {
		rec("gr3 a")
		main.Switch()
		rec("gr3 b")
		gr2.Switch()
		rec("gr3 c")
		return nil
	})
	for i, g := range []*greenlet.Greenlet{gr1, gr3, gr2, gr1, gr3} {
		g.Switch()
		rec(fmt.Sprint("main ", i+1))
	}
	want := "gr1 a, gr2 a, gr1 b, gr3 a, main 1, gr3 b, gr2 b, main 2, " +
		"gr2 c, main 3, gr1 c, main 4, gr3 c, main 5"
	if got := strings.Join(trace, ", "); got != want {
		t.Errorf("trace:\n got %s\nwant %s", got, want)
	}
	if !gr1.Dead() || !gr2.Dead() || !gr3.Dead() {
		t.Error("a greenlet is still alive")
	}
}

// TestRandomSwitchGraphs switches at random among greenlets that start and
// end at random, some made inside others, and checks after every switch
// that Current is the greenlet that resumed and that its Switch returned
// the value the switch into it sent, or its child's result.
func TestRandomSwitchGraphs(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for seed := range 64 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			r := &randomGraph{t: t, rng: rand.New(rand.NewPCG(uint64(seed), 1))}
			r.sent = map[*greenlet.Greenlet]any{}
			r.all = []*greenlet.Greenlet{greenlet.Current()}
			for r.steps < 300 {
				r.hop()
			}
			for _, g := range r.all[1:] {
				g.Kill()
			}
		})
	}
}

type randomGraph struct {
	t     *testing.T
	rng   *rand.Rand
	all   []*greenlet.Greenlet // main first
	sent  map[*greenlet.Greenlet]any
	steps int
}

// token returns a value no switch has sent before.
func (r *randomGraph) token() int {
	r.steps++
	return r.steps
}

// hop switches from the running greenlet to a random live one, sometimes a
// new one, and checks what the switch back delivers.
func (r *randomGraph) hop() {
	self := greenlet.Current()
	if r.rng.IntN(4) == 0 {
		r.all = append(r.all, greenlet.New(r.run))
	}
	var live []*greenlet.Greenlet
	for _, g := range r.all {
		if !g.Dead() {
			live = append(live, g)
		}
	}
	target := live[r.rng.IntN(len(live))]
	tok := r.token()
	r.sent[target] = tok
	got := target.Switch(tok)
	if cur := greenlet.Current(); cur != self {
		r.t.Fatalf("step %d: Current is %p, want %p", r.steps, cur, self)
	}
	if got != r.sent[self] {
		r.t.Fatalf("step %d: Switch returned %v, want %v", r.steps, got, r.sent[self])
	}
}

// run is every random greenlet's function: a few hops, then an end whose
// value goes to the nearest live ancestor.
func (r *randomGraph) run(args ...any) any {
	self := greenlet.Current()
	if len(args) != 1 || args[0] != r.sent[self] {
		r.t.Fatalf("run got %v, want [%v]", args, r.sent[self])
	}
	for range r.rng.IntN(5) {
		r.hop()
	}
	p := self.Parent()
	for p.Dead() {
		p = p.Parent()
	}
	tok := r.token()
	r.sent[p] = tok
	return tok
}

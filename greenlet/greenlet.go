package greenlet

import (
	"errors"
	"runtime/debug"

	"github.com/goasyncio/asyncio/internal/goid"
)

// A Greenlet is a function that runs as a coroutine on explicit switches:
// it runs when some greenlet of its world calls its Switch, and stops
// running when it calls another greenlet's Switch, or its run returns.
//
// A greenlet is unstarted until the first switch to it, then running or
// suspended in a switch, and finally dead. The zero Greenlet is not usable;
// make one with New. A Greenlet must not be copied.
type Greenlet struct {
	_      noCopy
	w      *world
	run    func(args ...any) any
	parent *Greenlet
	state  state

	// caller is the greenlet before this one in its world's resume chain,
	// or nil when this one is not in the chain (see world).
	caller *Greenlet
	next   func() (struct{}, bool)
	yield  func(struct{}) bool
	gid    uintptr // goid.Current of the goroutine it runs on, once started
}

type state uint8

const (
	unstarted state = iota
	started         // running, or suspended in a switch
	dead
)

// New returns an unstarted greenlet that will call run with the arguments
// of the first switch to it. Its parent, to which run's value goes, is the
// greenlet running on the calling goroutine. A goroutine that runs no
// greenlet yet becomes the main greenlet of a new world, and the parent.
//
// An unstarted greenlet holds no goroutine. New panics if run is nil.
func New(run func(args ...any) any) *Greenlet {
	if run == nil {
		panic("greenlet: New with a nil run function")
	}
	w := worldOf(goid.Current())
	return &Greenlet{w: w, run: run, parent: w.cur}
}

// Current returns the running greenlet of the calling goroutine's world:
// the calling greenlet in greenlet code, and the main greenlet in ordinary
// code. A goroutine that runs no greenlet yet becomes the main greenlet of
// a new world, which Current returns.
func Current() *Greenlet {
	return worldOf(goid.Current()).cur
}

// Parent returns the greenlet that was running when g was made, to which
// g's run returns, or the greenlet that killed g (see Kill). It returns nil
// for a main greenlet.
//
// Parent and Dead read state that switches change, so a goroutine other
// than the one running g's world may call them only once synchronized with
// it, for example by a channel receive.
func (g *Greenlet) Parent() *Greenlet {
	return g.parent
}

// Dead reports whether g has died: its run returned or panicked, or Kill or
// Throw ended it before it started. A main greenlet is never dead.
func (g *Greenlet) Dead() bool {
	return g.state == dead
}

// Switch suspends the running greenlet of g's world, runs g, and returns
// once a later switch comes back to the suspended greenlet, with the value
// that switch delivers. Switch to the running greenlet returns at once,
// with the value it would have delivered.
//
// What g receives: if g has not started, run is called with args. If g is
// suspended, its pending Switch (or Throw) returns nil when args is empty,
// args[0] when args holds one value, and a copy of args, as an []any, when
// it holds more.
//
// When a greenlet's run returns, its parent's pending Switch returns run's
// value; when run panics, that Switch panics with a *PanicError (see the
// package doc). A dead parent hands either on to its own parent.
//
// Switch must be called on the goroutine running g's world, by the running
// greenlet. The ordinary code of the goroutine that made the world is its
// main greenlet: its first Switch suspends it there, like any greenlet, and
// a switch to the main greenlet resumes it. From any other goroutine Switch
// panics with ErrWrongGoroutine; on a dead g it panics with ErrDead.
func (g *Greenlet) Switch(args ...any) any {
	return g.switchTo(args, nil)
}

// Throw switches to g as Switch does, but raises err inside g: g's pending
// Switch (or Throw) panics with err instead of returning. The panic unwinds
// g's stack, running its deferred calls, unless g recovers it. If it
// escapes run, g dies, and its parent's pending switch panics with a
// *PanicError whose Value is err or, if err matches ErrKilled, returns err
// as a value. Throw returns the value of the switch that later comes back
// to the caller, as Switch does. A nil err stands for ErrKilled.
//
// A g that has not started dies without running, as if run panicked with err
// at once. Throw on the running greenlet panics with err in the caller.
// Throw panics with ErrDead on a dead g, and with ErrWrongGoroutine when
// called from a goroutine other than the one running g's world.
func (g *Greenlet) Throw(err error) any {
	if err == nil {
		err = ErrKilled
	}
	return g.switchTo(nil, err)
}

// Kill ends g and returns when control comes back to the caller: it makes
// the calling greenlet g's parent, then throws ErrKilled into g (see
// Throw), so g's deferred calls run and g dies returning here. If g
// recovers the panic and switches elsewhere instead, Kill returns at the
// next switch to the caller, dropping the value it delivers.
//
// Kill on an unstarted g marks it dead without running it; on a dead g it
// does nothing; on the running greenlet it panics with ErrKilled in the
// caller, which ends that greenlet unless it recovers. It panics on a main
// greenlet, which never dies, and with ErrWrongGoroutine when called from a
// goroutine other than the one running g's world.
//
// A greenlet that has started and never dies keeps a suspended goroutine
// for the life of the program; Kill is how its owner releases it.
func (g *Greenlet) Kill() {
	w := g.bound()
	switch {
	case g == w.main:
		panic("greenlet: Kill of a main greenlet")
	case g.state == dead:
		return
	case g == w.cur:
		panic(ErrKilled)
	case g.state == unstarted:
		g.state, g.run = dead, nil
		return
	}
	g.parent = w.cur
	g.Throw(ErrKilled)
}

// bound returns g's world after checking that the calling goroutine runs
// it.
func (g *Greenlet) bound() *world {
	w := g.w
	if w == nil {
		panic("greenlet: use of a Greenlet not made by New")
	}
	if goid.Current() != w.gid {
		panic(ErrWrongGoroutine)
	}
	return w
}

// pack returns the value that a suspended greenlet's Switch returns when it
// is resumed with args. It copies several args rather than keep the slice,
// so that args does not escape and a Switch with one value or none
// allocates nothing.
func pack(args []any) any {
	switch len(args) {
	case 0:
		return nil
	case 1:
		return args[0]
	}
	return append([]any(nil), args...)
}

// body is the coroutine of a started greenlet: it runs on the greenlet's
// own goroutine from the first switch to the greenlet until it dies.
func (g *Greenlet) body(yield func(struct{}) bool) {
	w := g.w
	g.yield, g.gid, g.state = yield, goid.Current(), started
	register(g.gid, w)
	defer unregister(g.gid)
	args := w.args
	w.args = nil
	w.cur, w.gid, w.target = g, g.gid, nil
	g.end(g.call(args))
}

// call runs g's run with args and returns its value, or what its parent
// receives instead when run panics (see outcome).
func (g *Greenlet) call(args []any) (v, raise any) {
	returned := false
	defer func() {
		if p := recover(); p != nil {
			v, raise = outcome(p)
		} else if !returned {
			// runtime.Goexit, which cannot be stopped: iter.Pull passes it
			// on to the goroutine waiting for g, which ends too.
			g.state = dead
		}
	}()
	v = g.run(args...)
	returned = true
	return v, nil
}

// outcome turns the panic p that ended a greenlet into what its parent
// receives: a kill is a normal end that delivers the error as a value, and
// any other panic is raised again in the parent as a *PanicError. Called
// in the deferred function that recovered p, it records the stack of the
// panic; Throw into an unstarted greenlet records the thrower's.
func outcome(p any) (v, raise any) {
	if err, ok := p.(error); ok && errors.Is(err, ErrKilled) {
		return err, nil
	}
	if pe, ok := p.(*PanicError); ok {
		return nil, pe
	}
	return nil, &PanicError{Value: p, Stack: debug.Stack()}
}

// end marks g dead and makes the switch in flight deliver v, or raise, to
// g's nearest live ancestor. A main greenlet never dies, so there is one.
func (g *Greenlet) end(v, raise any) {
	g.state, g.caller = dead, nil
	g.run, g.next, g.yield = nil, nil, nil
	p := g.parent
	for p.state == dead {
		p = p.parent
	}
	w := g.w
	w.target, w.val, w.raise = p, v, raise
}

// noCopy lets go vet's copylocks check report copies of a Greenlet.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

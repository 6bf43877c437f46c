package greenlet

import (
	"iter"
	"runtime"
	"sync"
	"weak"
)

// A world is the set of greenlets bound to one goroutine: its main greenlet
// and every greenlet made while one of them ran. Exactly one greenlet of a
// world runs at a time; the others are suspended, unstarted or dead.
//
// iter.Pull gives each started greenlet an asymmetric coroutine: next runs
// it until it calls yield, and yield returns to whichever goroutine called
// next. Switch, which is symmetric, is built on it by keeping the greenlets
// of a world in a chain: the main greenlet first, then each greenlet in the
// chain waiting in next for the one after it, and the running greenlet
// last. Each greenlet's caller field links it to the one before it.
//
// A switch sets the world's target and message, then moves along the chain:
//
//   - to a target outside the chain (suspended in yield, or not started),
//     the running greenlet calls the target's next, which appends the
//     target and runs it;
//   - to a target inside the chain, the running greenlet leaves the chain
//     by calling yield, which wakes the greenlet before it; a woken greenlet
//     that is not the target moves on in the same way;
//   - a greenlet whose run ends leaves the chain as yield would, its
//     coroutine returning instead, after naming its parent as the target.
//
// In a ping-pong the second greenlet sits right after the first, so each
// Switch costs one coroutine switch. In general a greenlet leaves the chain
// at most once for each time a switch appended it, so a Switch costs at most
// two coroutine switches, amortized. The rejected alternative, a trampoline
// where every greenlet yields to a driver on the main greenlet's goroutine
// that then resumes the target, costs two on every Switch.
//
// Every field of a world, and of its greenlets, is read and written only by
// the goroutine running the world's current greenlet; iter.Pull's switches
// order those accesses.
type world struct {
	main *Greenlet
	cur  *Greenlet // the running greenlet
	gid  uintptr   // goid.Current of the goroutine running cur

	// The switch in flight: where it goes, and what it delivers. A target
	// that has not started receives args; one that is suspended receives
	// val from its pending Switch, or raise as that Switch's panic.
	target *Greenlet
	args   []any
	val    any
	raise  any
}

// switchTo carries out Switch(args...) on g if err is nil, and Throw(err)
// otherwise: it aims the switch, moves along the resume chain until the
// running greenlet is the target, and returns what the target receives.
//
// The loop is here, not in a helper that Switch and Throw call, because
// each frame between the caller's code and iter.Pull's switch costs time:
// after a goroutine switch the CPU mispredicts the returns up the new
// stack. Moving the loop out of a helper saved about 9 ns of 50 per
// Switch; Switch and Throw themselves are inlined into their callers.
func (g *Greenlet) switchTo(args []any, err error) any {
	w := g.bound()
	if err != nil {
		w.aimThrow(g, err)
	} else {
		w.aim(g, args)
	}
	self := w.cur
	for w.target != self {
		if t := w.target; t.caller != nil || t == w.main {
			// t is before self in the chain: leave it, waking the greenlet
			// before self, until some switch targets self again.
			self.caller = nil
			self.yield(struct{}{})
		} else {
			// t is suspended in yield, or unstarted: append it and run it
			// until it leaves the chain.
			t.caller = self
			if t.next == nil {
				t.next, _ = iter.Pull(t.body)
			}
			t.next()
		}
	}
	return w.arrive()
}

// aim makes the target of the switch in flight g, and its message args.
func (w *world) aim(g *Greenlet, args []any) {
	switch g.state {
	case dead:
		panic(ErrDead)
	case unstarted:
		w.args = append([]any(nil), args...)
	default:
		w.val = pack(args)
	}
	w.target = g
}

// aimThrow makes the switch in flight raise err in g; see Throw.
func (w *world) aimThrow(g *Greenlet, err error) {
	switch {
	case g.state == dead:
		panic(ErrDead)
	case g == w.cur:
		panic(err)
	case g.state == unstarted:
		g.end(outcome(err))
	default:
		w.target, w.raise = g, err
	}
}

// arrive makes the target of the switch in flight the running greenlet,
// and returns the value it receives or raises the panic it receives.
func (w *world) arrive() any {
	g := w.target
	w.cur, w.gid, w.target = g, g.gid, nil
	v, raise := w.val, w.raise
	w.val, w.raise = nil, nil
	if raise != nil {
		panic(raise)
	}
	return v
}

// The registry maps the goroutines that run greenlets to their worlds: the
// goroutine of each main greenlet, so that New and Current find the world
// of ordinary code, and the goroutine of each started greenlet until it
// dies, so that they find it from greenlet code too.
//
// The pointers are weak so that a world that nothing refers to any more is
// collected, and a cleanup then drops its entry. A world whose main
// goroutine has exited stays in the registry as long as one of its
// greenlets is reachable.
var registry struct {
	sync.Mutex
	worlds map[uintptr]weak.Pointer[world]
}

// worldOf returns the world of the goroutine with the given ID, making one
// with that goroutine as its main greenlet if it has none.
func worldOf(id uintptr) *world {
	registry.Lock()
	defer registry.Unlock()
	if w := registry.worlds[id].Value(); w != nil {
		return w
	}
	main := &Greenlet{gid: id, state: started}
	w := &world{main: main, cur: main, gid: id}
	main.w = w
	if registry.worlds == nil {
		registry.worlds = make(map[uintptr]weak.Pointer[world])
	}
	registry.worlds[id] = weak.Make(w)
	runtime.AddCleanup(w, forget, id)
	return w
}

// forget drops the entry of a main goroutine whose world was collected,
// unless the ID has been given a new world since.
func forget(id uintptr) {
	registry.Lock()
	defer registry.Unlock()
	if registry.worlds[id].Value() == nil {
		delete(registry.worlds, id)
	}
}

// register records that the goroutine with the given ID runs a greenlet of
// w; unregister undoes it.
func register(id uintptr, w *world) {
	registry.Lock()
	defer registry.Unlock()
	registry.worlds[id] = weak.Make(w)
}

func unregister(id uintptr) {
	registry.Lock()
	defer registry.Unlock()
	delete(registry.worlds, id)
}

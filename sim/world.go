package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/goasyncio/asyncio"
)

// A World is a simulated network of named hosts, run in one loop on a
// virtual clock, in which every random choice is drawn from one seed.
// Make one with New, add hosts, then Run it. A World runs once; its
// methods other than Run, Trace and Seed must be called on the loop's
// goroutine while it runs (from the driver or a host's tasks), or before
// Run.
type World struct {
	seed  uint64
	rng   *rand.Rand
	loop  *asyncio.Loop
	ran   bool
	hosts []*Host // in the order they were added

	defaultLink Link
	links       map[[2]*Host]*link // by ordered pair: the direction from [0] to [1]

	trace    [][]byte // the trace's lines, in chunks of traceChunk bytes
	conns    uint64   // connections made so far, to name them
	failures []error  // errors of host tasks
}

// New returns an empty world whose random choices come from seed.
func New(seed uint64) *World {
	return &World{
		seed:  seed,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		links: make(map[[2]*Host]*link),
		defaultLink: Link{
			Latency: time.Millisecond,
		},
	}
}

// Seed returns the world's seed.
func (w *World) Seed() uint64 { return w.seed }

// Rand returns the world's source of random choices, for a driver that
// wants its own to be replayed with the seed too. It must be used only on
// the loop's goroutine.
func (w *World) Rand() *rand.Rand { return w.rng }

// Host returns the host of that name, adding it if the world has none:
// its address is 10.0.0.N for the Nth host added. A host is up until it
// crashes.
func (w *World) Host(name string) *Host {
	if h := w.lookup(name); h != nil {
		return h
	}
	if name == "" || strings.ContainsAny(name, ": /") {
		panic(fmt.Sprintf("sim: host name %q: want a name with no colon, space or slash", name))
	}
	n := len(w.hosts) + 1
	if n > 250*256 {
		panic("sim: too many hosts")
	}
	h := &Host{
		w: w, name: name, up: true,
		addr:      netip.AddrFrom4([4]byte{10, 0, byte(n / 250), byte(n%250 + 1)}),
		listeners: make(map[int]*listener), udp: make(map[int]*packetConn),
		nextPort: firstEphemeralPort,
	}
	w.hosts = append(w.hosts, h)
	return h
}

// lookup returns the host named by name or by its address, or nil.
func (w *World) lookup(name string) *Host {
	for _, h := range w.hosts {
		if h.name == name || h.addr.String() == name {
			return h
		}
	}
	return nil
}

// must returns the named host, or panics naming the call: a fault aimed at
// a host that does not exist is a bug of the test.
func (w *World) must(op, name string) *Host {
	h := w.lookup(name)
	if h == nil {
		panic(fmt.Sprintf("sim: %s: no host named %q", op, name))
	}
	return h
}

// Run runs the world: the boot functions of its hosts, each as a task of
// its host, then driver, the test's own task, which belongs to no host and
// drives the world with faults and checks. Run returns when driver
// returns, with its error, after cancelling every task left; or, if no
// task can make progress and nothing is scheduled, a *DeadlockError that
// lists the stuck tasks of every host. Errors of host tasks are joined to
// it.
func (w *World) Run(driver func(ctx context.Context) error) error {
	if w.ran {
		panic("sim: World.Run called twice; make a new World for each run")
	}
	w.ran = true
	_, err := asyncio.Run(func(ctx context.Context) (struct{}, error) {
		w.loop, _ = asyncio.GetRunningLoop(ctx)
		for _, h := range w.hosts {
			h.boot(ctx)
		}
		return struct{}{}, driver(ctx)
	}, asyncio.WithVirtualClock(), asyncio.WithNetwork(network{w}),
		asyncio.WithContext(context.Background()))
	return errors.Join(append([]error{w.byHost(err)}, w.failures...)...)
}

// check panics, naming op, unless ctx belongs to a task of the world's
// loop while it runs: a world's hosts and faults exist only there.
func (w *World) check(ctx context.Context, op string) {
	if l, err := asyncio.GetRunningLoop(ctx); err != nil || w.loop == nil || l != w.loop {
		panic(fmt.Sprintf("sim: %s outside the World's Run: call it from the driver or from a task of one of its hosts", op))
	}
}

// now is the world's virtual time.
func (w *World) now() time.Duration { return w.loop.Time() }

// after runs fn on the loop once d has passed on its clock.
func (w *World) after(d time.Duration, fn func()) {
	w.loop.CallLater(d, fn)
}

// traceChunk is the size of the trace's chunks. A trace kept in one
// buffer is copied each time the buffer grows, which made a long run's
// trace cost more than the messages it records; chunks are never copied.
const traceChunk = 64 << 10

// tracef adds a line to the trace, stamped with the virtual time.
func (w *World) tracef(format string, args ...any) {
	w.endLine(fmt.Appendf(w.stamp(), format, args...))
}

// stamp begins a trace line with the virtual time, in seconds, as
// "%12.6f " formats it, and returns it for the caller to append the rest
// and end it with endLine. The hot paths append to it with strconv:
// fmt's boxing of arguments cost a tenth of a message's delivery.
func (w *World) stamp() []byte {
	t := time.Duration(0)
	if w.loop != nil {
		t = w.now()
	}
	n := len(w.trace)
	if n == 0 || cap(w.trace[n-1])-len(w.trace[n-1]) < 512 {
		w.trace = append(w.trace, make([]byte, 0, traceChunk))
		n++
	}
	var num [32]byte
	f := strconv.AppendFloat(num[:0], t.Seconds(), 'f', 6, 64)
	b := w.trace[n-1]
	for range 12 - len(f) {
		b = append(b, ' ')
	}
	b = append(b, f...)
	return append(b, ' ')
}

// endLine ends the trace line that stamp began.
func (w *World) endLine(b []byte) { w.trace[len(w.trace)-1] = append(b, '\n') }

// Trace returns what happened in the world, one event a line, each
// stamped with its virtual time in seconds: connections, the bytes they
// carried, datagrams, faults, crashes and restarts, and the start and end
// of the tasks that Host.Go and boot functions start. Two runs of one seed give the
// same trace, byte for byte.
func (w *World) Trace() string { return string(bytes.Join(w.trace, nil)) }

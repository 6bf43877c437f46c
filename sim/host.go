package sim

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/internal/funcname"
)

// A Host is a named machine of a World, with an address, listeners,
// connections and tasks. Its tasks are those started with Go or by its
// boot function, and the tasks they start.
type Host struct {
	w           *World
	name        string
	addr        netip.Addr
	up          bool
	incarnation int // how many times it restarted
	bootFn      func(ctx context.Context) error
	listeners   map[int]*listener // by port
	udp         map[int]*packetConn
	conns       []*conn // open connection ends, in the order they opened
	nextPort    int
}

// firstEphemeralPort is where a host's ephemeral ports begin, as on Linux.
const firstEphemeralPort = 32768

// hostKey is the context key under which a host's tasks carry their host.
type hostKey struct{}

// hostOf returns the host the task owning ctx runs on, or nil.
func hostOf(ctx context.Context) *Host {
	h, _ := ctx.Value(hostKey{}).(*Host)
	return h
}

// Name returns the host's name.
func (h *Host) Name() string { return h.name }

// Addr returns the host's address.
func (h *Host) Addr() netip.Addr { return h.addr }

// Up reports whether the host runs: it has not crashed, or has restarted.
func (h *Host) Up() bool { return h.up }

// String returns the host's name.
func (h *Host) String() string { return h.name }

// Boot sets what the host runs when the world starts and after each
// Restart: typically a server's main function. Call it before Run.
func (h *Host) Boot(fn func(ctx context.Context) error) { h.bootFn = fn }

// Go starts fn as a task of the host, from a task of the world's loop
// (ctx is that task's): its connections go from this host, and a crash of
// the host cancels it. A task fn starts belongs to the host too. An error
// fn returns, other than its cancellation, makes Run fail.
func (h *Host) Go(ctx context.Context, fn func(ctx context.Context) error) *asyncio.Task[struct{}] {
	h.w.check(ctx, "Host.Go")
	if !h.up {
		panic(fmt.Sprintf("sim: Host.Go on %s, which is down", h.name))
	}
	hctx := context.WithValue(ctx, hostKey{}, h)
	name := funcName(fn)
	tk := asyncio.CreateTask(hctx, func(ctx context.Context) (struct{}, error) {
		return struct{}{}, fn(ctx)
	}, asyncio.WithName(h.name))
	h.w.tracef("%s: task %s started", h.name, name)
	tk.AddDoneCallback(func(tk *asyncio.Task[struct{}]) {
		_, err := tk.Result()
		switch {
		case err == nil:
			h.w.tracef("%s: task %s returned", h.name, name)
		case errors.Is(err, asyncio.ErrCancelled):
			h.w.tracef("%s: task %s cancelled", h.name, name)
		default:
			h.w.tracef("%s: task %s failed: %v", h.name, name, err)
			h.w.failures = append(h.w.failures, fmt.Errorf("host %s: %w", h.name, err))
		}
	})
	return tk
}

// boot starts the boot function, if there is one.
func (h *Host) boot(ctx context.Context) {
	if h.bootFn != nil {
		h.Go(ctx, h.bootFn)
	}
}

// ephemeral returns a free port for a connection or a listener.
func (h *Host) ephemeral() int {
	for {
		p := h.nextPort
		h.nextPort++
		if h.nextPort > 60999 {
			h.nextPort = firstEphemeralPort
		}
		if h.listeners[p] == nil && h.udp[p] == nil {
			return p
		}
	}
}

// Crash stops the named host at once, from a task of the world (ctx is
// that task's): its tasks are cancelled, its listeners are gone, and its
// connections are reset, which their peers learn when the reset reaches
// them; what was in flight to the host is lost. It stays down until
// Restart.
func (w *World) Crash(ctx context.Context, name string) {
	w.check(ctx, "Crash")
	h := w.must("Crash", name)
	if !h.up {
		return
	}
	w.tracef("crash %s", h.name)
	h.up = false
	for _, tk := range asyncio.AllTasks(ctx) {
		if c, ok := tk.(interface{ Context() context.Context }); ok && hostOf(c.Context()) == h {
			tk.Cancel()
		}
	}
	for _, ln := range h.listeners {
		ln.closed = true
	}
	h.listeners = make(map[int]*listener)
	for _, p := range h.udp {
		p.closed = true
	}
	h.udp = make(map[int]*packetConn)
	conns := h.conns
	h.conns = nil
	for _, c := range conns {
		c.crash()
	}
}

// Restart brings a crashed host back up, from a task of the world: with
// no connections and no listeners, it runs its boot function again, as a
// machine that rebooted.
func (w *World) Restart(ctx context.Context, name string) {
	w.check(ctx, "Restart")
	h := w.must("Restart", name)
	if h.up {
		return
	}
	h.up = true
	h.incarnation++
	w.tracef("restart %s", h.name)
	h.boot(ctx)
}

// forget drops a closed connection end from the host's.
func (h *Host) forget(c *conn) {
	if i := slices.Index(h.conns, c); i >= 0 {
		h.conns = slices.Delete(h.conns, i, i+1)
	}
}

// funcName names fn for the trace, as task dumps do.
func funcName(fn any) string { return funcname.Of(reflect.ValueOf(fn).Pointer()) }

// Reset resets every connection between hosts a and b, as a middlebox
// that drops its state does: both ends read ECONNRESET at once, and their
// writes fail.
func (w *World) Reset(a, b string) {
	ha, hb := w.must("Reset", a), w.must("Reset", b)
	w.tracef("reset %s %s", a, b)
	var ends []*conn
	for _, c := range ha.conns {
		if c.peer != nil && c.peer.h == hb {
			ends = append(ends, c, c.peer)
		}
	}
	for _, c := range ends {
		c.reset()
	}
}

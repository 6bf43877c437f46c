package sim

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/goasyncio/asyncio"
)

// network is the world as an asyncio.Network: what OpenConnection and
// StartServer use inside the world's loop.
type network struct{ w *World }

// connectTimeout is how long a connection attempt waits for an answer, as
// Linux's default of six SYN retries does.
const connectTimeout = 127 * time.Second

// A listener is a port a host listens on.
type listener struct {
	h      *Host
	port   int
	accept func(asyncio.NetworkConn)
	closed bool
}

func (l *listener) Addr() net.Addr { return &net.TCPAddr{IP: l.h.addr.AsSlice(), Port: l.port} }

func (l *listener) Close() error {
	if !l.closed {
		l.closed = true
		if l.h.listeners[l.port] == l {
			delete(l.h.listeners, l.port)
		}
		l.h.w.tracef("%s: close listener :%d", l.h.name, l.port)
	}
	return nil
}

// caller returns the host of the task owning ctx, or an error naming the
// call when it runs on none.
func (w *World) caller(ctx context.Context, op string) (*Host, error) {
	h := hostOf(ctx)
	switch {
	case h == nil:
		return nil, fmt.Errorf("sim: %s from a task that runs on no host: start it with Host.Go, or in a host's Boot function", op)
	case !h.up:
		return nil, fmt.Errorf("sim: %s on %s, which is down", op, h.name)
	}
	return h, nil
}

// resolve finds the host and port of address, as a task of from sees it.
func (w *World) resolve(from *Host, op, network, address string) (*Host, int, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, 0, fmt.Errorf("sim: %s on network %q: the simulation has TCP only", op, network)
	}
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, 0, &net.OpError{Op: op, Net: network, Err: err}
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, 0, &net.OpError{Op: op, Net: network, Err: &net.AddrError{Err: "invalid port", Addr: address}}
	}
	switch host {
	case "", "localhost", "0.0.0.0", "::", "127.0.0.1", "::1":
		return from, port, nil
	}
	h := w.lookup(host)
	if h == nil {
		return nil, 0, &net.OpError{Op: op, Net: network, Err: &net.DNSError{
			Err: "no such host in the simulation (its hosts are the World's; a real address cannot be reached from one)", Name: host, IsNotFound: true}}
	}
	return h, port, nil
}

func (n network) Listen(ctx context.Context, network, address string, accept func(asyncio.NetworkConn)) (asyncio.NetworkListener, error) {
	w := n.w
	h, err := w.caller(ctx, "StartServer")
	if err != nil {
		return nil, err
	}
	at, port, err := w.resolve(h, "listen", network, address)
	if err != nil {
		return nil, err
	}
	if at != h {
		return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", errAddrNotAvail)}
	}
	if port == 0 {
		port = h.ephemeral()
	}
	if h.listeners[port] != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", errAddrInUse)}
	}
	l := &listener{h: h, port: port, accept: accept}
	h.listeners[port] = l
	w.tracef("%s: listen :%d", h.name, port)
	return l, nil
}

func (n network) Dial(ctx context.Context, network, address string, done func(asyncio.NetworkConn, error)) {
	w := n.w
	from, err := w.caller(ctx, "OpenConnection")
	if err != nil {
		done(nil, err)
		return
	}
	to, port, err := w.resolve(from, "dial", network, address)
	if err != nil {
		done(nil, err)
		return
	}
	w.conns++
	c := &conn{
		w: w, h: from, incarnation: from.incarnation, id: w.conns,
		local:  &net.TCPAddr{IP: from.addr.AsSlice(), Port: from.ephemeral()},
		remote: &net.TCPAddr{IP: to.addr.AsSlice(), Port: port},
	}
	w.tracef("c%d %s:%d dial %s:%d", c.id, from.name, c.local.Port, to.name, port)
	d := &dialing{c: c, done: done, to: to, port: port}
	w.send(from, to, 0, d.syn)
	w.after(connectTimeout, d.timeout)
}

// A dialing is a connection being made.
type dialing struct {
	c      *conn
	done   func(asyncio.NetworkConn, error)
	to     *Host
	port   int
	over   bool // done was called
	accept *conn
}

// syn is the connection request reaching the listening host.
func (d *dialing) syn() {
	c, w := d.c, d.c.w
	l := d.to.listeners[d.port]
	if !d.to.up || l == nil || l.closed {
		w.send(d.to, c.h, 0, func() { d.finish(c.opError("dial", errConnRefused)) })
		return
	}
	s := &conn{
		w: w, h: d.to, incarnation: d.to.incarnation, id: c.id,
		local: c.remote, remote: c.local, peer: c,
	}
	c.peer = s
	d.to.conns = append(d.to.conns, s)
	w.tracef("c%d %s:%d accept from %s", c.id, d.to.name, d.port, c.h.name)
	l.accept(s)
	w.send(d.to, c.h, 0, func() { d.finish(nil) })
}

// finish ends the attempt with the connection, or err.
func (d *dialing) finish(err error) {
	c := d.c
	if err == nil && (d.over || !c.h.up || c.h.incarnation != c.incarnation) {
		// The dialler gave up, or its host crashed meanwhile: it has no
		// socket for this answer, and answers it with a reset, if it is
		// up to answer.
		d.over = true
		if s := c.peer; c.h.up {
			c.w.tracef("c%d %s -> %s RST", c.id, c.h.name, s.h.name)
			c.w.send(c.h, s.h, 0, s.reset)
		}
		return
	}
	if d.over {
		return
	}
	d.over = true
	if err != nil {
		c.w.tracef("c%d %s: %v", c.id, c.h.name, err)
		d.done(nil, err)
		return
	}
	c.w.tracef("c%d %s: connected", c.id, c.h.name)
	c.h.conns = append(c.h.conns, c)
	d.done(c, nil)
}

// timeout ends an attempt that had no answer in time.
func (d *dialing) timeout() {
	if !d.over {
		d.finish(d.c.opError("dial", errTimedOut))
	}
}

package asyncio

import (
	"context"
	"io"
	"net"

	"github.com/goasyncio/asyncio/internal/waitq"
)

// The loop opens connections and listeners on the operating system's
// network, or on a Network given with WithNetwork: package sim's simulated
// one, which delivers on the loop itself. Every stream, server and
// endpoint the loop opens is also tracked, so that Close shuts what was
// left open and no goroutine of theirs outlives the loop.

// A Network carries a loop's connections in place of the operating
// system's network, so that a whole networked system can run in one loop:
// package sim implements one, with simulated hosts, latency and faults.
// OpenConnection, StartServer, ListenDatagram and DialDatagram use it once
// the loop is given it with WithNetwork; the tasks' code does not change.
//
// Its methods are called on the loop's goroutine and must not block. What
// a Network delivers, it delivers on the loop, from callbacks and timers
// of the loop, never from other goroutines; nothing it does counts as I/O
// in flight, so under a virtual clock time moves on to its next delivery.
type Network interface {
	// Dial connects to address on network ("tcp", "tcp4", "tcp6",
	// "unix"), and calls done on the loop, once, with the connection or
	// with why there is none (refused, unreachable, timed out); ctx is the
	// dialing task's. If the task has stopped waiting by then, the loop
	// closes the connection.
	Dial(ctx context.Context, network, address string, done func(NetworkConn, error))
	// Listen listens on address; accept is called on the loop with each
	// connection that comes, until the listener is closed.
	Listen(ctx context.Context, network, address string, accept func(NetworkConn)) (NetworkListener, error)
	// ListenPacket opens a datagram endpoint on network ("udp", "udp4",
	// "udp6"): bound to address for ListenDatagram, or, when remote is
	// not empty, bound to a free port and connected to remote, for
	// DialDatagram; ctx is the opening task's.
	ListenPacket(ctx context.Context, network, address, remote string) (NetworkPacketConn, error)
}

// A NetworkPacketConn is a datagram endpoint of a Network: what a Datagram
// sends from and receives on.
type NetworkPacketConn interface {
	// Start begins delivery: the network calls received on the loop with
	// each datagram that arrives and its sender. A connected endpoint
	// receives only from its remote address. The endpoint may keep p.
	Start(received func(p []byte, from net.Addr))
	// WriteTo sends p as one datagram to addr, or to the remote address of
	// a connected endpoint when addr is nil; it must not retain p.
	WriteTo(p []byte, addr net.Addr) error
	LocalAddr() net.Addr
	// RemoteAddr is the address a connected endpoint sends to; nil if it
	// is not connected.
	RemoteAddr() net.Addr
	Close() error
}

// A NetworkConn is one end of a connection of a Network: what a Stream
// reads from and writes to.
type NetworkConn interface {
	// Start begins delivery. The network calls received on the loop with
	// the bytes that arrive, in order, and last with a non-nil error
	// (io.EOF when the peer closed its side, another error when the
	// connection failed); it calls writable when Write can take more
	// after it took less than it was given.
	Start(received func(p []byte, err error), writable func())
	// SetReading(false) holds deliveries back until SetReading(true): the
	// stream's flow control, which the peer feels as a full window.
	SetReading(on bool)
	// Write takes what of p the connection can take now and returns how
	// much; it must not retain p.
	Write(p []byte) (int, error)
	// CloseWrite closes the writing side: the peer reads io.EOF.
	CloseWrite() error
	// Close closes the connection; the peer, once it has read what was
	// sent, reads io.EOF.
	Close() error
	LocalAddr() net.Addr
	RemoteAddr() net.Addr
}

// A NetworkListener is a listening address of a Network.
type NetworkListener interface {
	Addr() net.Addr
	// Close stops listening: connections that come later are refused.
	Close() error
}

// WithNetwork makes the loop open its connections, servers and datagram
// endpoints on n instead of the operating system's network. Package sim uses it; see
// Network.
func WithNetwork(n Network) Option {
	return optionFunc(func(l *Loop) { l.net = n })
}

// dial opens a connection on the operating system's network.
func dial(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error) {
	return d.DialContext(ctx, network, address)
}

// listen listens on the operating system's network.
func listen(ctx context.Context, network, address string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, network, address)
}

// track records an open resource that Close must close if it is still
// open then; the resource calls untrack when it closes itself.
func (l *Loop) track(c io.Closer) *waitq.Node[io.Closer] {
	return l.resources.PushBack(c)
}

func (l *Loop) untrack(n *waitq.Node[io.Closer]) { l.resources.Remove(n) }

// closeResources closes what is still open, as the loop closes.
func (l *Loop) closeResources() {
	var open []io.Closer
	for n := l.resources.Front(); n != nil; n = n.Next() {
		open = append(open, n.Value)
	}
	for _, c := range open {
		c.Close()
	}
}

// awaitGoroutine runs fn, a call that blocks (a dial, a handshake), on a
// goroutine of its own, counted as I/O in flight, and suspends the task
// owning ctx until it returns: the loop is never blocked. If the task stops
// waiting first, or the loop closes before it takes the result, a value fn
// returned without error goes to discard, so that nothing fn opened leaks.
func awaitGoroutine[T any](ctx context.Context, l *Loop, fn func() (T, error), discard func(T)) (T, error) {
	f := CreateFuture[T](ctx)
	l.addExternal()
	go func() {
		v, err := fn()
		drop := func() {
			if err == nil {
				discard(v)
			}
		}
		deliver := func() {
			l.doneExternal()
			switch {
			case f.Done(): // the task stopped waiting
				drop()
			case err != nil:
				f.SetException(err)
			default:
				f.SetResult(v)
			}
		}
		if l.callSoonThreadsafeOrDrop(deliver, drop) != nil {
			drop() // the loop is closed
		}
	}()
	return Await(ctx, f)
}

package asyncio

import (
	"context"
	"net"
)

// A transport moves the bytes of one Stream between its loop-confined
// buffers and the connection, as asyncio's transports do under its
// streams. There are two:
//
//   - pollTransport (transport_poll.go, Linux): the loop polls the
//     connection's descriptor itself, through epoll, and reads and writes
//     it with non-blocking system calls in its own goroutine, as uvloop and
//     libuv do. No goroutine is needed per connection.
//   - goTransport (transport_go.go): a reader goroutine per connection, on
//     Go's network poller, hands what it reads to the loop, and a writer
//     goroutine, alive only while it has work, writes what the connection
//     did not take at once. It serves every other net.Conn: TLS, pipes to
//     child processes, other systems.
//
// A netTransport (transport_net.go) carries a stream over a connection of
// a Network given with WithNetwork, which delivers on the loop itself.
//
// Which one a connection gets is the loop's choice (transportFor); the
// Stream above it does not know. Every method is called on the loop's
// goroutine, and a transport reports back there, through the stream's
// received, written and finish.
type transport interface {
	// start begins reading: chunks go to the stream's received.
	start()
	// setReading stops reading (false) or starts it again (true): flow
	// control, when the stream holds as much as it may.
	setReading(on bool)
	// write writes what of p the connection takes at once and queues the
	// rest, which it reports through written as it goes out; it returns
	// how much it queued. idle says nothing is queued from before. It
	// must not retain p.
	write(p []byte, idle bool) (queued int, err error)
	// shutWrite closes the writing side once what is queued is written.
	shutWrite()
	// close closes the connection once what is queued is written, then
	// calls the stream's finish.
	close()
	// abort closes the connection now, dropping what is queued; the
	// stream calls its own finish.
	abort()
	// finished is called by the stream's finish: the transport lets go of
	// whatever still waits on the connection.
	finished()
	// external reports whether the transport's work goes on outside the
	// loop, and so counts as I/O in flight for a virtual clock.
	external() bool
	// detach stops the transport without closing the connection, once it
	// has nothing queued, and hands the connection over, for StartTLS.
	// What it read meanwhile goes to the stream's received.
	detach(ctx context.Context) (net.Conn, error)
}

// transportFor returns the transport that moves s's bytes over conn: the
// loop's own poller where conn is a socket it can poll, goroutines
// otherwise.
func (l *Loop) transportFor(s *Stream, conn net.Conn) transport {
	if t := l.pollTransportFor(s, conn); t != nil {
		return t
	}
	return newGoTransport(s, conn)
}

package asyncio

import (
	"context"
	"fmt"
	"net"
)

// A netTransport moves a stream's bytes over a NetworkConn, a connection
// of a Network that delivers on the loop itself (package sim's). Nothing
// runs outside the loop, so nothing counts as I/O in flight: what the
// network will deliver, it has scheduled on the loop's clock.
type netTransport struct {
	s       *Stream
	c       NetworkConn
	out     []byte // written by the stream, not taken by the connection yet
	outEOF  bool
	closing bool
	closed  bool
}

// openOn connects through the loop's Network, for OpenConnection.
func openOn(ctx context.Context, l *Loop, network, address string, cfg streamConfig) (*Stream, error) {
	if cfg.tls != nil {
		return nil, fmt.Errorf("asyncio: OpenConnection WithTLS on a %T, which has no TLS", l.net)
	}
	f := CreateFuture[NetworkConn](ctx)
	l.net.Dial(ctx, network, address, func(c NetworkConn, err error) {
		switch {
		case f.Done(): // the task stopped waiting
			if c != nil {
				c.Close()
			}
		case err != nil:
			f.SetException(err)
		default:
			f.SetResult(c)
		}
	})
	c, err := Await(ctx, f)
	if err != nil {
		return nil, err
	}
	return newNetStream(l, c, cfg), nil
}

// newNetStream makes the stream of a connection of the loop's Network.
func newNetStream(l *Loop, c NetworkConn, cfg streamConfig) *Stream {
	s := newStreamOf(l, c.LocalAddr(), c.RemoteAddr(), cfg)
	s.t = &netTransport{s: s, c: c}
	s.begin()
	return s
}

func (t *netTransport) start() { t.c.Start(t.s.received, t.flush) }

func (t *netTransport) setReading(on bool) { t.c.SetReading(on) }

func (t *netTransport) write(p []byte, idle bool) (int, error) {
	if len(t.out) == 0 {
		n, err := t.c.Write(p)
		if err != nil {
			return 0, err
		}
		if p = p[n:]; len(p) == 0 {
			return 0, nil
		}
	}
	t.out = append(t.out, p...)
	return len(p), nil
}

// flush is the connection's writable callback: it writes what is queued,
// as the connection takes it, and reports the progress to the stream.
func (t *netTransport) flush() {
	if len(t.out) == 0 || t.closed {
		return
	}
	n, err := t.c.Write(t.out)
	size := n
	if err != nil {
		size = len(t.out)
	}
	if size == 0 {
		return
	}
	t.out = t.out[:copy(t.out, t.out[size:])]
	t.s.written(size, n, err)
	if len(t.out) == 0 {
		t.out = nil
		t.afterFlush()
	}
}

func (t *netTransport) afterFlush() {
	switch {
	case t.closing:
		t.abort()
		t.s.finish()
	case t.outEOF:
		t.outEOF = false
		if err := t.c.CloseWrite(); err != nil {
			t.s.written(0, 0, err)
		}
	}
}

func (t *netTransport) shutWrite() {
	t.outEOF = true
	if len(t.out) == 0 {
		t.afterFlush()
	}
}

func (t *netTransport) close() {
	t.closing = true
	if len(t.out) == 0 {
		t.afterFlush()
	}
}

func (t *netTransport) abort() {
	if !t.closed {
		t.closed, t.out = true, nil
		t.c.Close()
	}
}

func (t *netTransport) finished() { t.abort() }

func (t *netTransport) external() bool { return false }

func (t *netTransport) detach(context.Context) (net.Conn, error) {
	return nil, fmt.Errorf("asyncio: Stream.StartTLS on a connection of a %T, which has no TLS", t.s.l.net)
}

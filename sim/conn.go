package sim

import (
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
)

// A conn is one end of a simulated TCP connection: an asyncio.NetworkConn.
// Bytes go to the peer over the link between their hosts; the peer's end
// keeps what arrives until its stream reads, and the sender may have at
// most window bytes that the peer's stream has not taken, which is the
// flow control a peer that does not read makes the sender feel.
type conn struct {
	w           *World
	h           *Host
	incarnation int
	id          uint64 // the connection's number, for the trace
	local       *net.TCPAddr
	remote      *net.TCPAddr
	peer        *conn

	received  func([]byte, error)
	writable  func()
	reading   bool
	inbox     []byte // arrived, not handed to the stream yet
	inEnd     error  // how the stream ends, once that has arrived
	ended     bool   // the stream has been handed its end
	queued    bool   // a hand-off to the stream is scheduled
	deliverFn func()

	inflight int   // bytes sent that the peer's stream has not taken
	blocked  bool  // Write took less than it was given: call writable
	shut     bool  // CloseWrite or Close: no more writes
	closed   bool  // Close, or the host crashed
	broken   error // why writes fail: the connection was reset
}

// window is how many bytes a connection carries that the receiving
// stream has not taken.
const window = 256 << 10

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }

func (c *conn) Start(received func([]byte, error), writable func()) {
	c.received, c.writable, c.reading = received, writable, true
	c.handOff()
}

func (c *conn) SetReading(on bool) {
	c.reading = on
	if on {
		c.handOff()
	}
}

// handOff schedules, on the loop, a hand-off of what has arrived to the
// stream, unless one is scheduled: never from inside the stream's own
// calls.
func (c *conn) handOff() {
	if c.queued || c.received == nil || c.ended {
		return
	}
	if len(c.inbox) == 0 && c.inEnd == nil {
		return
	}
	c.queued = true
	if c.deliverFn == nil {
		c.deliverFn = c.deliver // one method value for the connection's life
	}
	c.w.loop.CallSoon(c.deliverFn)
}

// deliver hands what has arrived to the stream, then its end if that has
// arrived too.
func (c *conn) deliver() {
	c.queued = false
	if !c.reading || c.ended || c.closed {
		return
	}
	if data := c.inbox; len(data) > 0 {
		c.inbox = nil
		c.received(data, nil)
		if p := c.peer; p != nil {
			p.acked(len(data))
		}
	}
	if c.inEnd != nil && len(c.inbox) == 0 && c.reading && !c.ended {
		c.ended = true
		c.received(nil, c.inEnd)
	}
}

// acked reopens the window by n bytes: the peer's stream took them.
func (c *conn) acked(n int) {
	c.inflight -= n
	if c.blocked && !c.closed && c.inflight < window {
		c.blocked = false
		c.w.loop.CallSoon(func() {
			if !c.closed && c.writable != nil {
				c.writable()
			}
		})
	}
}

func (c *conn) Write(p []byte) (int, error) {
	switch {
	case c.broken != nil:
		return 0, c.opError("write", c.broken)
	case c.shut:
		return 0, c.opError("write", net.ErrClosed)
	}
	n := min(len(p), window-c.inflight)
	if n < len(p) {
		c.blocked = true
	}
	if n > 0 {
		data := append([]byte(nil), p[:n]...)
		c.inflight += n
		c.traceSent(n)
		c.transmit(n, func(to *conn) { to.arrive(data) })
	}
	return n, nil
}

// traceSent adds "cID from -> to N B" to the trace: what tracef would,
// without fmt, as it is done for every message.
func (c *conn) traceSent(n int) {
	b := c.w.stamp()
	b = strconv.AppendUint(append(b, 'c'), c.id, 10)
	b = append(append(b, ' '), c.h.name...)
	b = append(append(b, " -> "...), c.peer.h.name...)
	b = strconv.AppendInt(append(b, ' '), int64(n), 10)
	c.w.endLine(append(b, " B"...))
}

// transmit sends a segment of n bytes to the peer's end, as it is when the
// segment arrives: nil if the connection is gone there, which answers
// with a reset.
func (c *conn) transmit(n int, arrive func(to *conn)) {
	from, to := c.h, c.peer.h
	inc, peer := c.incarnation, c.peer
	c.w.send(from, to, n, func() {
		switch {
		case !to.up || to.incarnation != peer.incarnation || peer.closed:
			if from.up && from.incarnation == inc && !c.closed {
				c.w.send(to, from, 0, func() { c.reset() })
			}
		default:
			arrive(peer)
		}
	})
}

// arrive takes a segment of data from the peer.
func (c *conn) arrive(data []byte) {
	if c.inEnd != nil {
		return // after a reset: dropped
	}
	c.inbox = append(c.inbox, data...)
	c.handOff()
}

// arriveEnd takes the peer's end of its writing.
func (c *conn) arriveEnd(err error) {
	if c.inEnd == nil {
		c.inEnd = err
		c.handOff()
	}
}

func (c *conn) CloseWrite() error {
	if c.shut {
		return c.opError("shutdown", net.ErrClosed)
	}
	c.shut = true
	c.w.tracef("c%d %s -> %s FIN", c.id, c.h.name, c.peer.h.name)
	c.transmit(0, func(to *conn) { to.arriveEnd(io.EOF) })
	return nil
}

func (c *conn) Close() error {
	if c.closed {
		return nil
	}
	switch {
	case c.broken != nil:
	case len(c.inbox) > 0 && c.inEnd == nil:
		// Unread data: TCP answers a close with a reset.
		c.w.tracef("c%d %s -> %s RST", c.id, c.h.name, c.peer.h.name)
		c.transmit(0, func(to *conn) { to.reset() })
	case !c.shut:
		c.CloseWrite()
	}
	c.closed, c.shut = true, true
	c.h.forget(c)
	return nil
}

// reset ends the connection as a reset from the peer does.
func (c *conn) reset() {
	if c.broken != nil || c.closed {
		return
	}
	c.w.tracef("c%d %s reset", c.id, c.h.name)
	c.broken = errConnReset
	c.inbox = nil
	c.arriveEnd(c.opError("read", errConnReset))
	if c.blocked {
		c.blocked = false
		c.w.loop.CallSoon(func() {
			if c.writable != nil {
				c.writable()
			}
		})
	}
}

// crash drops the end as its host crashes: the peer learns of it by a
// reset, when the reset reaches it.
func (c *conn) crash() {
	if c.closed {
		return
	}
	c.closed = true
	peer := c.peer
	c.w.send(c.h, peer.h, 0, func() { peer.reset() })
}

// opError makes the error a real socket gives.
func (c *conn) opError(op string, err error) error {
	if err != net.ErrClosed {
		err = os.NewSyscallError(op, err)
	}
	return &net.OpError{Op: op, Net: "tcp", Source: c.local, Addr: c.remote, Err: err}
}

// String names the end for the trace and error messages.
func (c *conn) String() string {
	return fmt.Sprintf("c%d %s:%d", c.id, c.h.name, c.local.Port)
}

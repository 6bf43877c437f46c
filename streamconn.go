package asyncio

import (
	"context"
	"errors"
	"net"
	"os"
	"time"
)

// Conn returns the stream seen as a net.Conn, for Go code that takes an
// io.Reader, io.Writer or net.Conn (bufio, encoding/json, crypto/tls,
// io.Copy) and runs inside the task that owns ctx. Its Read and Write
// suspend that task, as the stream's methods do; no goroutine is started
// per call. Read is the stream's Read; Write buffers and then drains, so it
// returns once what is buffered is under the high-water mark; Close closes
// the stream.
//
// The deadlines of SetDeadline, SetReadDeadline and SetWriteDeadline count
// on the loop's clock; a Read or Write they end returns an error matching
// os.ErrDeadlineExceeded (a net.Error whose Timeout reports true), and, as
// for any interrupted read, nothing is lost. A cancelled task's Read and
// Write return ErrCancelled. The view must be used only by the code of the
// task that owns ctx: it is that task's, as ctx is.
func (s *Stream) Conn(ctx context.Context) net.Conn {
	runningTask(ctx, "Stream.Conn")
	return &streamConn{s: s, ctx: ctx}
}

// A streamConn is a Stream bound to the ctx of one task.
type streamConn struct {
	s             *Stream
	ctx           context.Context
	read, written time.Time // the deadlines; zero for none
}

func (c *streamConn) Read(p []byte) (int, error) {
	ctx, cancel := c.bound(c.read)
	defer cancel()
	n, err := c.s.Read(ctx, p)
	return n, c.deadlineErr(err)
}

func (c *streamConn) Write(p []byte) (int, error) {
	n, err := c.s.Write(p)
	if err != nil {
		return n, err
	}
	ctx, cancel := c.bound(c.written)
	defer cancel()
	return n, c.deadlineErr(c.s.Drain(ctx))
}

// bound returns the view's ctx, bounded by deadline if one is set.
func (c *streamConn) bound(deadline time.Time) (context.Context, context.CancelFunc) {
	if deadline.IsZero() {
		return c.ctx, func() {}
	}
	return context.WithDeadline(c.ctx, deadline)
}

// deadlineErr turns the end of a deadline into the error net.Conn promises.
func (c *streamConn) deadlineErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) && c.ctx.Err() == nil {
		return os.ErrDeadlineExceeded
	}
	return err
}

func (c *streamConn) Close() error         { return c.s.Close() }
func (c *streamConn) LocalAddr() net.Addr  { return c.s.LocalAddr() }
func (c *streamConn) RemoteAddr() net.Addr { return c.s.RemoteAddr() }

func (c *streamConn) SetDeadline(t time.Time) error {
	c.read, c.written = t, t
	return nil
}

func (c *streamConn) SetReadDeadline(t time.Time) error {
	c.read = t
	return nil
}

func (c *streamConn) SetWriteDeadline(t time.Time) error {
	c.written = t
	return nil
}

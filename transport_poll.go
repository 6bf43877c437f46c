//go:build linux

package asyncio

import (
	"context"
	"io"
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// A pollTransport moves a stream's bytes with the loop's own poller: the
// descriptor is taken out of Go's network poller and put in the loop's
// epoll set, level-triggered; the loop reads it when it is readable and
// writes it straight away, queueing what the socket does not take until
// it is writable again. Everything happens on the loop's goroutine, so a
// connection costs no goroutine, and a message costs no hand-off between
// goroutines.
type pollTransport struct {
	s       *Stream
	p       *poller
	fd      int    // -1 once closed or detached
	events  uint32 // what the epoll set watches for fd; 0: not in it
	reading bool   // reads are wanted: not paused, not at the end
	out     []byte // written by the stream, not taken by the socket yet
	outEOF  bool   // shut the writing side once out is written
	closing bool   // close once out is written
}

// pollStreams says whether streams over sockets use the loop's poller; the
// tests turn it off to run the goroutine transport on Linux too.
var pollStreams = true

// pollTransportFor returns a pollTransport for conn if it is a TCP or Unix
// socket and the loop can poll: conn's descriptor is duplicated for the
// loop and conn is closed, which takes it out of Go's network poller.
func (l *Loop) pollTransportFor(s *Stream, conn net.Conn) transport {
	if !pollStreams {
		return nil
	}
	var sc interface {
		SyscallConn() (syscall.RawConn, error)
	}
	switch c := conn.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	p := l.getPoller()
	if p == nil {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	fd := -1
	rc.Control(func(f uintptr) {
		fd, err = unix.FcntlInt(f, unix.F_DUPFD_CLOEXEC, 0)
	})
	if err != nil || fd < 0 {
		return nil
	}
	conn.Close()
	return &pollTransport{s: s, p: p, fd: fd}
}

func (t *pollTransport) start() {
	t.reading = true
	t.rewatch()
}

// rewatch tells the poller what the transport now waits for.
func (t *pollTransport) rewatch() {
	if t.fd < 0 {
		return
	}
	var ev uint32
	if t.reading {
		ev |= unix.EPOLLIN
	}
	if len(t.out) > 0 {
		ev |= unix.EPOLLOUT
	}
	if t.p.watch(t.fd, t, t.events, ev) == nil {
		t.events = ev
	}
}

// ready is called by the poller, on the loop.
func (t *pollTransport) ready(events uint32) {
	const failed = unix.EPOLLERR | unix.EPOLLHUP
	if t.reading && events&(unix.EPOLLIN|failed) != 0 {
		t.read()
	}
	if t.fd >= 0 && len(t.out) > 0 && events&(unix.EPOLLOUT|failed) != 0 {
		t.flush()
	}
}

// read reads what has come, once, and hands it to the stream.
func (t *pollTransport) read() {
	n, err := ignoringEINTR(func() (int, error) { return unix.Read(t.fd, t.p.buf) })
	switch {
	case err == unix.EAGAIN:
		return
	case err != nil:
		n, err = 0, os.NewSyscallError("read", err)
	case n == 0:
		err = io.EOF
	}
	if err != nil {
		t.reading = false
		t.rewatch()
	}
	t.s.received(t.p.buf[:n], err)
}

func (t *pollTransport) setReading(on bool) {
	if t.reading != on && (!on || !t.s.readDone) {
		t.reading = on
		t.rewatch()
	}
}

func (t *pollTransport) write(p []byte, idle bool) (int, error) {
	if len(t.out) == 0 {
		// Nothing queued: the socket takes what it can now.
		n, err := ignoringEINTR(func() (int, error) { return unix.Write(t.fd, p) })
		switch {
		case err == unix.EAGAIN:
		case err != nil:
			return 0, os.NewSyscallError("write", err)
		default:
			p = p[n:]
		}
		if len(p) == 0 {
			return 0, nil
		}
	}
	t.out = append(t.out, p...)
	t.rewatch()
	return len(p), nil
}

// flush writes what is queued, as the socket takes it, and reports the
// progress to the stream; once all is written it carries out a pending
// shutWrite or close.
func (t *pollTransport) flush() {
	size, n, err := 0, 0, error(nil)
	for size < len(t.out) {
		m, werr := ignoringEINTR(func() (int, error) { return unix.Write(t.fd, t.out[size:]) })
		if werr == unix.EAGAIN {
			break
		}
		if werr != nil {
			n, size, err = size, len(t.out), os.NewSyscallError("write", werr)
			break
		}
		size += m
		n = size
	}
	if size == 0 {
		return
	}
	t.out = t.out[:copy(t.out, t.out[size:])]
	if len(t.out) == 0 {
		t.out = nil // let a burst's buffer go
	}
	t.rewatch()
	t.s.written(size, n, err)
	if len(t.out) == 0 {
		t.afterFlush()
	}
}

// afterFlush carries out what waited for the queue to empty.
func (t *pollTransport) afterFlush() {
	switch {
	case t.closing:
		t.closeNow()
		t.s.finish()
	case t.outEOF:
		t.outEOF = false
		if err := unix.Shutdown(t.fd, unix.SHUT_WR); err != nil {
			t.s.written(0, 0, os.NewSyscallError("shutdown", err))
		}
	}
}

func (t *pollTransport) shutWrite() {
	t.outEOF = true
	if len(t.out) == 0 {
		t.afterFlush()
	}
}

func (t *pollTransport) close() {
	t.closing = true
	if len(t.out) == 0 {
		t.afterFlush()
	}
}

// closeNow takes the descriptor out of the epoll set and closes it.
func (t *pollTransport) closeNow() {
	if t.fd < 0 {
		return
	}
	t.reading, t.out = false, nil
	t.rewatch()
	unix.Close(t.fd)
	t.fd = -1
}

func (t *pollTransport) abort() { t.closeNow() }

func (t *pollTransport) external() bool { return true }

func (t *pollTransport) finished() { t.closeNow() }

// detach hands the socket back to Go's network poller as a net.Conn.
func (t *pollTransport) detach(ctx context.Context) (net.Conn, error) {
	t.reading, t.out = false, nil
	t.rewatch()
	f := os.NewFile(uintptr(t.fd), "stream")
	t.fd = -1
	defer f.Close()
	return net.FileConn(f)
}

// ignoringEINTR calls fn again while it is interrupted by a signal.
func ignoringEINTR(fn func() (int, error)) (int, error) {
	for {
		n, err := fn()
		if err != unix.EINTR {
			return n, err
		}
	}
}

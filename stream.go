package asyncio

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/goasyncio/asyncio/internal/waitq"
)

// A Stream keeps what was read and not consumed, and what was written and
// not sent, in loop-confined buffers; a transport (transport.go) moves the
// bytes between those and the connection. The task side never blocks the
// loop: a read waits on a future that the next chunk resolves, a Drain on
// one that the transport's progress resolves.
//
// A read takes bytes out of the buffer only once it can return them, so a
// task cancelled in a read leaves every byte for the next reader. The
// buffer is bounded: beyond twice the stream's limit the transport stops
// reading until reads bring it down to the limit, which is the flow control
// the peer feels. While the transport may still deliver, and while written
// bytes are in flight, the stream counts as I/O in flight, as executor
// work does, so a virtual clock does not jump past it and no deadlock is
// reported while the connection may still make progress.

// DefaultStreamLimit is the default limit of a stream: the longest line
// ReadLine and ReadUntil accept, and half of what the stream buffers before
// it stops reading from the connection.
const DefaultStreamLimit = 64 << 10

// readChunk is the most one read from the connection takes.
const readChunk = 64 << 10

// A Stream is a connection that the tasks of one loop read and write: the
// counterpart of asyncio's StreamReader and StreamWriter, in one value.
// OpenConnection and StartServer make streams.
//
// Reads suspend the calling task until the bytes they need have arrived;
// one task reads a stream at a time. Write buffers and never blocks; Drain
// suspends while more than the high-water mark is buffered. Its methods
// must be called on the loop's goroutine, from tasks of the loop that made
// it; Conn gives Go code that wants a net.Conn a view of it.
type Stream struct {
	_      noCopy
	l      *Loop
	t      transport
	node   *waitq.Node[io.Closer]
	limit  int
	local  net.Addr
	remote net.Addr

	// Read side.
	rbuf     []byte // received, not read yet: rbuf[roff:]
	roff     int
	eof      bool  // the peer closed its side: nothing more will come
	rerr     error // why reading stopped, when not at EOF
	reader   *Future[struct{}]
	readDone bool // the transport has delivered its last chunk
	paused   bool // the transport was asked to stop reading
	counted  bool // the transport's reading counts as I/O in flight
	upgrade  bool // StartTLS is under way

	// Write side.
	high, low int
	pending   int   // bytes given to Write and not written yet
	werr      error // why writing failed
	drainers  *Future[struct{}]
	shut      bool // Close or WriteEOF was called: no more writes
	closed    bool // Close was called
	done      *Future[struct{}]
}

// A StreamOption configures a stream made by OpenConnection or StartServer.
type StreamOption interface{ applyStream(*streamConfig) }

type streamConfig struct {
	limit     int
	high, low int
	dialer    *net.Dialer
	tls       *tls.Config
}

type streamOptionFunc func(*streamConfig)

func (f streamOptionFunc) applyStream(c *streamConfig) { f(c) }

// WithStreamLimit sets the stream's limit (see DefaultStreamLimit); n < 1
// panics.
func WithStreamLimit(n int) StreamOption {
	if n < 1 {
		panic("asyncio: WithStreamLimit of less than one byte")
	}
	return streamOptionFunc(func(c *streamConfig) { c.limit = n })
}

// WithWriteBufferLimits sets the stream's write high- and low-water marks:
// Drain waits while more than high bytes are buffered, until no more than
// low are. The defaults are 64 KiB and 16 KiB. It panics unless
// 0 <= low <= high.
func WithWriteBufferLimits(high, low int) StreamOption {
	if low < 0 || low > high {
		panic(fmt.Sprintf("asyncio: WithWriteBufferLimits(%d, %d): want 0 <= low <= high", high, low))
	}
	return streamOptionFunc(func(c *streamConfig) { c.high, c.low = high, low })
}

// WithDialer makes OpenConnection dial with d: its Timeout, LocalAddr,
// FallbackDelay (Happy Eyeballs), KeepAlive and Control apply. The default
// is a zero net.Dialer.
func WithDialer(d *net.Dialer) StreamOption {
	return streamOptionFunc(func(c *streamConfig) { c.dialer = d })
}

// WithTLS makes the stream speak TLS with cfg (crypto/tls). On a
// connection that OpenConnection makes, the stream is the client: the
// handshake is done before OpenConnection returns, and cfg.ServerName, if
// empty, is the host dialed. On a server's connections, given with
// StreamOptions, it is the server (cfg needs Certificates or
// GetCertificate), and the handshake is done as the connection is first
// read or written; a failed one is the error of the handler's first read.
func WithTLS(cfg *tls.Config) StreamOption {
	if cfg == nil {
		panic("asyncio: WithTLS with a nil *tls.Config")
	}
	return streamOptionFunc(func(c *streamConfig) { c.tls = cfg })
}

func newStreamConfig(opts []StreamOption) streamConfig {
	c := streamConfig{limit: DefaultStreamLimit, high: 64 << 10, low: 16 << 10}
	for _, o := range opts {
		o.applyStream(&c)
	}
	if c.dialer == nil {
		c.dialer = new(net.Dialer)
	}
	return c
}

// IncompleteReadError is returned by ReadExactly and ReadUntil when the
// stream ends first. Partial holds the bytes read, which are consumed.
type IncompleteReadError struct {
	Partial  []byte
	Expected int // the bytes ReadExactly wanted; -1 for ReadUntil
}

func (e *IncompleteReadError) Error() string {
	if e.Expected < 0 {
		return fmt.Sprintf("asyncio: stream ended after %d bytes, before the separator", len(e.Partial))
	}
	return fmt.Sprintf("asyncio: stream ended after %d of %d expected bytes", len(e.Partial), e.Expected)
}

// Unwrap returns io.ErrUnexpectedEOF.
func (e *IncompleteReadError) Unwrap() error { return io.ErrUnexpectedEOF }

// LimitOverrunError is returned by ReadUntil and ReadLine when the stream's
// limit is reached before the separator. ReadUntil leaves the bytes in the
// stream; Consumed is how many were looked at.
type LimitOverrunError struct {
	Consumed int
}

func (e *LimitOverrunError) Error() string {
	return fmt.Sprintf("asyncio: separator not found within the stream's limit (%d bytes looked at); raise it with WithStreamLimit", e.Consumed)
}

// newStream wraps conn, which the loop owns from now on, and starts
// reading from it.
func newStream(l *Loop, conn net.Conn, c streamConfig) *Stream {
	s := newStreamOf(l, conn.LocalAddr(), conn.RemoteAddr(), c)
	s.t = l.transportFor(s, conn)
	s.begin()
	return s
}

// newStreamOf makes a stream with no transport yet.
func newStreamOf(l *Loop, local, remote net.Addr, c streamConfig) *Stream {
	s := &Stream{l: l, limit: c.limit, high: c.high, low: c.low, local: local, remote: remote}
	s.done = &Future[struct{}]{fb: futureBase{l: l}}
	return s
}

// begin starts the stream's transport, and tracks the stream so that the
// loop closes it if it is left open.
func (s *Stream) begin() {
	s.node = s.l.track(streamAborter{s})
	s.setCounted(true)
	s.t.start()
}

// received takes a chunk from the transport, on the loop; err, if not nil,
// is why no more will come.
func (s *Stream) received(data []byte, err error) {
	s.rbuf = append(s.rbuf, data...)
	if err != nil {
		s.readDone = true
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
		case s.closed:
			s.rerr = net.ErrClosed
		default:
			s.rerr = err
		}
		s.setCounted(false)
	}
	if !s.paused && !s.readDone && s.buffered() > 2*s.limit {
		s.paused = true
		s.t.setReading(false)
		s.setCounted(false) // a paused transport delivers nothing until a read
	}
	s.wakeReader()
}

// setCounted makes the transport's reading count, or not, as I/O in flight.
func (s *Stream) setCounted(on bool) {
	switch {
	case !s.t.external():
	case on && !s.counted && !s.readDone:
		s.counted = true
		s.l.addExternal()
	case !on && s.counted:
		s.counted = false
		s.l.doneExternal()
	}
}

func (s *Stream) wakeReader() {
	if f := s.reader; f != nil && !f.Done() {
		f.SetResult(struct{}{})
	}
}

func (s *Stream) buffered() int { return len(s.rbuf) - s.roff }

// take removes and returns the next n buffered bytes.
func (s *Stream) take(n int) []byte {
	b := bytes.Clone(s.rbuf[s.roff : s.roff+n])
	s.consume(n)
	return b
}

// consume drops the next n buffered bytes, and lets a paused transport
// read again once the buffer is down to the limit.
func (s *Stream) consume(n int) {
	s.roff += n
	switch {
	case s.roff == len(s.rbuf):
		s.rbuf, s.roff = s.rbuf[:0], 0
	case s.roff > len(s.rbuf)/2:
		k := copy(s.rbuf, s.rbuf[s.roff:])
		s.rbuf, s.roff = s.rbuf[:k], 0
	}
	if s.paused && s.buffered() <= s.limit {
		s.paused = false
		s.t.setReading(true)
		s.setCounted(true)
	}
}

// ended returns why no more bytes will come, or nil.
func (s *Stream) ended() error {
	switch {
	case s.rerr != nil:
		return s.rerr
	case s.eof:
		return io.EOF
	}
	return nil
}

// waitData suspends the task until more bytes arrive or the stream ends.
func (s *Stream) waitData(ctx context.Context, op string) error {
	if s.reader != nil && !s.reader.Done() {
		return fmt.Errorf("asyncio: Stream.%s while another task reads the stream; read a stream from one task at a time", op)
	}
	f := CreateFuture[struct{}](ctx)
	s.reader = f
	_, err := Await(ctx, f)
	if s.reader == f {
		s.reader = nil
	}
	return err
}

// Read reads up to len(p) bytes into p, suspending the task until at least
// one byte has arrived: the counterpart of StreamReader.read(n). At the end
// of the stream it returns 0 and io.EOF. If the task is interrupted, or a
// ctx derived from the task's is done, it returns that error and reads
// nothing.
func (s *Stream) Read(ctx context.Context, p []byte) (int, error) {
	runningTask(ctx, "Stream.Read")
	if len(p) == 0 {
		return 0, nil
	}
	for s.buffered() == 0 {
		if err := s.ended(); err != nil {
			return 0, err
		}
		if err := s.waitData(ctx, "Read"); err != nil {
			return 0, err
		}
	}
	n := copy(p, s.rbuf[s.roff:])
	s.consume(n)
	return n, nil
}

// ReadExactly reads exactly n bytes: StreamReader.readexactly. If the
// stream ends first, it returns an *IncompleteReadError holding the bytes
// that came, which are consumed. If the task is interrupted, or a derived
// ctx is done, it returns that error and reads nothing.
func (s *Stream) ReadExactly(ctx context.Context, n int) ([]byte, error) {
	runningTask(ctx, "Stream.ReadExactly")
	if n < 0 {
		panic("asyncio: Stream.ReadExactly of a negative count")
	}
	for s.buffered() < n {
		if err := s.ended(); err != nil {
			partial := s.take(s.buffered())
			if s.rerr != nil {
				return partial, err
			}
			return nil, &IncompleteReadError{Partial: partial, Expected: n}
		}
		if err := s.waitData(ctx, "ReadExactly"); err != nil {
			return nil, err
		}
	}
	return s.take(n), nil
}

// ReadUntil reads up to and including the first sep: StreamReader.readuntil.
// If the stream ends first, it returns an *IncompleteReadError holding what
// came, which is consumed. If the stream's limit is reached before sep is
// found, it returns a *LimitOverrunError and leaves the bytes in the
// stream. If the task is interrupted, or a derived ctx is done, it returns
// that error and reads nothing.
func (s *Stream) ReadUntil(ctx context.Context, sep []byte) ([]byte, error) {
	runningTask(ctx, "Stream.ReadUntil")
	if len(sep) == 0 {
		panic("asyncio: Stream.ReadUntil with an empty separator")
	}
	searched := 0 // bytes known to hold no complete sep
	for {
		buf := s.rbuf[s.roff:]
		if i := bytes.Index(buf[searched:], sep); i >= 0 {
			end := searched + i + len(sep)
			if end > s.limit {
				return nil, &LimitOverrunError{Consumed: searched + i}
			}
			return s.take(end), nil
		}
		searched = max(0, len(buf)-len(sep)+1)
		if len(buf) > s.limit {
			return nil, &LimitOverrunError{Consumed: len(buf)}
		}
		if err := s.ended(); err != nil {
			partial := s.take(len(buf))
			if s.rerr != nil {
				return partial, err
			}
			return nil, &IncompleteReadError{Partial: partial, Expected: -1}
		}
		if err := s.waitData(ctx, "ReadUntil"); err != nil {
			return nil, err
		}
	}
}

// ReadLine reads a line, up to and including "\n": StreamReader.readline.
// At the end of the stream it returns the last, unterminated line, if
// any, with io.EOF, as bufio.Reader.ReadBytes does. A line longer than the
// stream's limit is dropped from the stream, through its "\n" if that has
// come, and ReadLine returns a *LimitOverrunError, so that the next line
// can be read.
func (s *Stream) ReadLine(ctx context.Context) ([]byte, error) {
	runningTask(ctx, "Stream.ReadLine")
	line, err := s.ReadUntil(ctx, []byte{'\n'})
	var inc *IncompleteReadError
	var over *LimitOverrunError
	switch {
	case errors.As(err, &inc):
		if len(inc.Partial) == 0 {
			return nil, io.EOF
		}
		return inc.Partial, io.EOF
	case errors.As(err, &over):
		buf := s.rbuf[s.roff:]
		if i := bytes.IndexByte(buf, '\n'); i >= 0 {
			s.consume(i + 1)
		} else {
			s.consume(len(buf))
		}
		return nil, err
	}
	return line, err
}

// AtEOF reports whether the peer has closed its side and every byte it
// sent has been read.
func (s *Stream) AtEOF() bool { return s.eof && s.buffered() == 0 }

// Write buffers p to be written to the connection, and never blocks: the
// counterpart of StreamWriter.write. It does not retain p: the caller may
// reuse it at once. Call Drain to wait for the buffer to empty out. It
// returns an error, and buffers nothing, once writing has failed, while
// StartTLS is under way, and once the stream is closed for writing.
func (s *Stream) Write(p []byte) (int, error) {
	switch {
	case s.werr != nil:
		return 0, s.werr
	case s.shut:
		return 0, fmt.Errorf("asyncio: Stream.Write after Close or WriteEOF: %w", net.ErrClosed)
	case s.upgrade:
		return 0, errors.New("asyncio: Stream.Write while StartTLS upgrades the stream; write once StartTLS has returned")
	case len(p) == 0:
		return 0, nil
	}
	queued, err := s.t.write(p, s.pending == 0)
	if err != nil {
		s.werr = err
		return 0, err
	}
	if queued > 0 {
		if s.pending == 0 && s.t.external() {
			s.l.addExternal() // written bytes in flight
		}
		s.pending += queued
	}
	return len(p), nil
}

// Buffered returns how many bytes Write has buffered that are not written
// to the connection yet.
func (s *Stream) Buffered() int { return s.pending }

// Drain suspends the task while more than the high-water mark is buffered,
// until no more than the low-water mark is: StreamWriter.drain, the flow
// control of the writing side. It returns the error writing failed with,
// if it did. If the task is interrupted, or a derived ctx is done, it
// returns that error; the buffered bytes are still written.
func (s *Stream) Drain(ctx context.Context) error {
	runningTask(ctx, "Stream.Drain")
	return s.waitWritten(ctx, s.high)
}

// waitWritten suspends the task while more than most bytes are buffered;
// Drain waits down to the high-water mark, StartTLS down to nothing.
func (s *Stream) waitWritten(ctx context.Context, most int) error {
	for s.werr == nil && s.pending > most {
		if s.drainers == nil || s.drainers.Done() {
			s.drainers = CreateFuture[struct{}](ctx)
		}
		if _, err := Await(ctx, Shield(ctx, s.drainers)); err != nil {
			return err
		}
	}
	return s.werr
}

// written takes the transport's progress, on the loop: of size queued
// bytes, n were written, then err happened if not nil.
func (s *Stream) written(size, n int, err error) {
	if s.done.Done() {
		return // aborted meanwhile: nothing is pending any more
	}
	if err != nil && s.werr == nil {
		s.werr = err
	}
	if size > 0 {
		s.pending -= size // written, or never to be
		if s.pending == 0 && s.t.external() {
			s.l.doneExternal()
		}
	}
	if (s.pending <= s.low || s.werr != nil) && s.drainers != nil && !s.drainers.Done() {
		s.drainers.SetResult(struct{}{})
	}
}

// WriteEOF closes the writing side of the connection once what is buffered
// is written: the peer reads the end of the stream, and may still send.
// Writes fail from then on.
func (s *Stream) WriteEOF() error {
	if s.shut {
		return fmt.Errorf("asyncio: Stream.WriteEOF after Close or WriteEOF: %w", net.ErrClosed)
	}
	s.shut = true
	s.t.shutWrite()
	return nil
}

// Close closes the stream: what is buffered is written, then the
// connection is closed; WaitClosed waits for that. Reads then return
// net.ErrClosed. Close is safe to call more than once.
func (s *Stream) Close() error {
	if s.closed {
		return nil
	}
	s.closed, s.shut = true, true
	s.t.close()
	return nil
}

// WaitClosed suspends the task until the connection is closed, after
// Close: StreamWriter.wait_closed.
func (s *Stream) WaitClosed(ctx context.Context) error {
	_, err := Await(ctx, s.done)
	return err
}

// finish records, on the loop, that the connection is closed.
func (s *Stream) finish() {
	s.t.finished()
	s.l.untrack(s.node)
	if !s.readDone {
		s.readDone = true
		s.setCounted(false)
		if s.rerr == nil && !s.eof {
			s.rerr = net.ErrClosed
		}
		s.wakeReader()
	}
	if s.pending > 0 {
		s.pending = 0
		if s.t.external() {
			s.l.doneExternal()
		}
	}
	if !s.done.Done() {
		s.done.SetResult(struct{}{})
	}
}

// abort closes the connection at once, dropping what is buffered; the
// loop does it to the streams left open as it closes.
func (s *Stream) abort() {
	s.closed, s.shut = true, true
	s.t.abort()
	s.finish()
}

// streamAborter is how the loop closes a stream left open.
type streamAborter struct{ s *Stream }

func (a streamAborter) Close() error {
	a.s.abort()
	return nil
}

// LocalAddr returns the local address of the connection.
func (s *Stream) LocalAddr() net.Addr { return s.local }

// RemoteAddr returns the address of the peer.
func (s *Stream) RemoteAddr() net.Addr { return s.remote }

// clientTLS does the client side of a TLS handshake on conn, closing conn
// if it fails.
func clientTLS(ctx context.Context, conn net.Conn, cfg *tls.Config, address string) (net.Conn, error) {
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			host = address
		}
		cfg = cfg.Clone()
		cfg.ServerName = host
	}
	tc := tls.Client(conn, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	return tc, nil
}

// OpenConnection connects to address on the named network ("tcp", "tcp4",
// "tcp6", "unix") and returns a stream: the counterpart of
// asyncio.open_connection. The task waits while the connection is made,
// the loop does not; the dial ends early when ctx is done (the task is
// cancelled, or a deadline of a derived ctx passes). WithDialer sets the
// dialer: timeout, local address, Happy Eyeballs. OpenConnection panics as
// Await does when ctx does not belong to the running task.
func OpenConnection(ctx context.Context, network, address string, opts ...StreamOption) (*Stream, error) {
	t := runningTask(ctx, "OpenConnection")
	cfg := newStreamConfig(opts)
	l := t.loop()
	if l.net != nil {
		return openOn(ctx, l, network, address, cfg)
	}
	conn, err := awaitGoroutine(ctx, l, func() (net.Conn, error) {
		conn, err := dial(ctx, cfg.dialer, network, address)
		if err == nil && cfg.tls != nil {
			conn, err = clientTLS(ctx, conn, cfg.tls, address)
		}
		return conn, err
	}, func(conn net.Conn) { conn.Close() })
	if err != nil {
		return nil, err
	}
	return newStream(l, conn, cfg), nil
}

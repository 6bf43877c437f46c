package asyncio

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"

	"github.com/goasyncio/asyncio/internal/waitq"
)

// A Server accepts connections and runs a handler task for each: the
// counterpart of asyncio.Server, made by StartServer. Its methods must be
// called on the loop's goroutine.
//
// One goroutine accepts; every connection's handler is a task of the
// loop, created in the order connections were accepted. While it listens
// the server counts as I/O in flight, so a virtual clock does not jump
// past a connection that may still come.
type Server struct {
	_       noCopy
	l       *Loop
	ln      net.Listener
	node    *waitq.Node[io.Closer]
	handler func(ctx context.Context, s *Stream) error
	cfg     streamConfig
	parent  context.Context // the values handler tasks carry
	creator uint64

	nl        NetworkListener // the listener on the loop's Network, if it has one
	max       int             // WithMaxConns's limit; 0 for none
	backlog   []NetworkConn   // on a Network: connections waiting for a slot
	active    int             // on a Network: connections being handled
	slots     chan struct{}   // a token per connection being handled, if limited
	stop      chan struct{}   // closed by Close: the accept goroutine ends
	closed    bool
	accepting bool              // the accept goroutine runs
	handlers  waitq.List[*task] // live handler tasks
	idle      *Future[struct{}] // done once closed and no handler runs
	forever   *Future[struct{}] // what ServeForever awaits
}

// A ServerOption configures a server made by StartServer.
type ServerOption interface{ applyServer(*serverConfig) }

type serverConfig struct {
	maxConns int
	stream   []StreamOption
}

type serverOptionFunc func(*serverConfig)

func (f serverOptionFunc) applyServer(c *serverConfig) { f(c) }

// WithMaxConns limits the connections a server handles at once to n: it
// accepts no more until a handler returns. n < 1 panics.
func WithMaxConns(n int) ServerOption {
	if n < 1 {
		panic("asyncio: WithMaxConns of less than one connection")
	}
	return serverOptionFunc(func(c *serverConfig) { c.maxConns = n })
}

// StreamOptions applies opts to the streams of a server's connections.
func StreamOptions(opts ...StreamOption) ServerOption {
	return serverOptionFunc(func(c *serverConfig) { c.stream = append(c.stream, opts...) })
}

// StartServer listens on address on the named network ("tcp", "tcp4",
// "tcp6", "unix") and, for each connection, runs handler as a new task
// with the connection's stream: the counterpart of asyncio.start_server.
// The stream is closed when handler returns. An error handler returns,
// other than a cancellation, goes to the loop's exception handler. A
// handler task carries the values of ctx. StartServer panics as Await does
// when ctx does not belong to the running task.
func StartServer(ctx context.Context, network, address string, handler func(ctx context.Context, s *Stream) error, opts ...ServerOption) (*Server, error) {
	t := runningTask(ctx, "StartServer")
	if handler == nil {
		panic("asyncio: StartServer with a nil handler")
	}
	var cfg serverConfig
	for _, o := range opts {
		o.applyServer(&cfg)
	}
	l := t.loop()
	parent := ctx
	if ctx == context.Context(t) {
		parent = t.parent
	}
	s := &Server{
		l: l, handler: handler, cfg: newStreamConfig(cfg.stream), parent: parent, creator: t.id,
		stop: make(chan struct{}), max: cfg.maxConns,
		idle:    &Future[struct{}]{fb: futureBase{l: l}},
		forever: &Future[struct{}]{fb: futureBase{l: l}},
	}
	if l.net != nil {
		return s.listenOn(ctx, network, address)
	}
	ln, err := listen(ctx, network, address)
	if err != nil {
		return nil, err
	}
	s.ln, s.accepting = ln, true
	if cfg.maxConns > 0 {
		s.slots = make(chan struct{}, cfg.maxConns)
	}
	s.node = l.track(serverCloser{s})
	l.addExternal()
	go s.acceptLoop()
	return s, nil
}

// listenOn listens on the loop's Network, which calls acceptedOn on the
// loop: no goroutine accepts.
func (s *Server) listenOn(ctx context.Context, network, address string) (*Server, error) {
	if s.cfg.tls != nil {
		return nil, fmt.Errorf("asyncio: StartServer with WithTLS on a %T, which has no TLS", s.l.net)
	}
	nl, err := s.l.net.Listen(ctx, network, address, s.acceptedOn)
	if err != nil {
		return nil, err
	}
	s.nl = nl
	s.node = s.l.track(serverCloser{s})
	return s, nil
}

// acceptedOn takes a connection from the loop's Network.
func (s *Server) acceptedOn(c NetworkConn) {
	switch {
	case s.closed:
		c.Close()
	case s.max > 0 && s.active >= s.max:
		s.backlog = append(s.backlog, c)
	default:
		s.active++
		s.serve(newNetStream(s.l, c, s.cfg))
	}
}

// acceptLoop is the accept goroutine.
func (s *Server) acceptLoop() {
	for {
		if s.slots != nil {
			select {
			case s.slots <- struct{}{}:
			case <-s.stop:
				s.post(s.acceptEnded)
				return
			}
		}
		conn, err := s.ln.Accept()
		if err != nil {
			s.post(s.acceptEnded)
			return
		}
		// If the loop closes before it takes the connection, the
		// connection is closed, not leaked.
		drop := func() { conn.Close() }
		if s.l.callSoonThreadsafeOrDrop(func() { s.accepted(conn) }, drop) != nil {
			conn.Close() // the loop is closed
			return
		}
	}
}

func (s *Server) post(fn func()) { s.l.CallSoonThreadsafe(fn) }

// accepted starts the handler task of a new connection, on the loop.
func (s *Server) accepted(conn net.Conn) {
	if s.closed {
		conn.Close()
		s.release()
		return
	}
	if s.cfg.tls != nil {
		conn = tls.Server(conn, s.cfg.tls)
	}
	s.serve(newStream(s.l, conn, s.cfg))
}

// serve starts the handler task of a new connection.
func (s *Server) serve(st *Stream) {
	tk := &Task[struct{}]{fn: func(ctx context.Context) (struct{}, error) {
		defer st.Close()
		return struct{}{}, s.handler(ctx, st)
	}}
	s.l.initTask(&tk.t, tk, s.parent, funcPC(s.handler), nil)
	tk.t.creator = s.creator
	node := s.handlers.PushBack(&tk.t)
	s.l.ready.Push(&tk.t)
	tk.AddDoneCallback(func(tk *Task[struct{}]) {
		s.handlers.Remove(node)
		s.release()
		if _, err := tk.Result(); err != nil && !tk.Cancelled() {
			s.l.report(&Exception{Message: "connection handler failed", Err: err, Future: tk})
		}
		s.checkIdle()
	})
}

// release frees the slot of a connection that is done.
func (s *Server) release() {
	switch {
	case s.slots != nil:
		<-s.slots
	case s.nl == nil:
	case len(s.backlog) > 0 && !s.closed:
		c := s.backlog[0]
		s.backlog = s.backlog[1:]
		s.serve(newNetStream(s.l, c, s.cfg))
	default:
		s.active--
	}
}

// acceptEnded records, on the loop, that the accept goroutine is gone.
func (s *Server) acceptEnded() {
	if !s.accepting {
		return
	}
	s.accepting = false
	s.l.doneExternal()
	s.closed = true
	s.checkIdle()
}

func (s *Server) checkIdle() {
	if s.closed && !s.accepting && s.handlers.Len() == 0 && !s.idle.Done() {
		s.idle.SetResult(struct{}{})
		s.l.untrack(s.node)
	}
}

// Addrs returns the addresses the server listens on.
func (s *Server) Addrs() []net.Addr {
	if s.nl != nil {
		return []net.Addr{s.nl.Addr()}
	}
	return []net.Addr{s.ln.Addr()}
}

// IsServing reports whether the server still accepts connections.
func (s *Server) IsServing() bool { return !s.closed }

// Close stops listening; the handlers of accepted connections go on, and
// WaitClosed waits for them. Close is safe to call more than once.
func (s *Server) Close() {
	if s.closed {
		return
	}
	s.closed = true
	close(s.stop)
	if s.nl != nil {
		s.nl.Close()
		for _, c := range s.backlog {
			c.Close()
		}
		s.backlog = nil
		s.checkIdle()
	} else {
		s.ln.Close()
	}
	if !s.forever.Done() {
		s.forever.SetResult(struct{}{})
	}
}

// WaitClosed suspends the task until the server is closed and every
// handler task has returned.
func (s *Server) WaitClosed(ctx context.Context) error {
	_, err := Await(ctx, s.idle)
	return err
}

// ServeForever suspends the task until the server is closed, or the task
// is interrupted or a derived ctx is done: then it closes the server and
// returns that error. It is asyncio's Server.serve_forever.
func (s *Server) ServeForever(ctx context.Context) error {
	if s.closed {
		return fmt.Errorf("asyncio: Server.ServeForever of a closed server: %w", net.ErrClosed)
	}
	_, err := Await(ctx, Shield(ctx, s.forever))
	s.Close()
	return err
}

// serverCloser is how the loop closes a server left open: it stops
// listening; the handler tasks are the loop's to end.
type serverCloser struct{ s *Server }

func (c serverCloser) Close() error {
	c.s.Close()
	if c.s.accepting {
		c.s.accepting = false
		c.s.l.doneExternal()
	}
	return nil
}

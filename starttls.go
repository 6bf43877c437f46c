package asyncio

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"time"
)

// StartTLS upgrades the stream to TLS in place, as its client: the
// counterpart of StreamWriter.start_tls, for protocols such as SMTP's
// STARTTLS. What is buffered is written in the clear first; bytes that
// came and were not read yet are taken as the start of the TLS stream.
// cfg.ServerName, if empty, is the peer's host as RemoteAddr gives it.
// StartTLS returns once the handshake is done; if it fails, or the task is
// interrupted meanwhile, the stream is closed and StartTLS returns why.
func (s *Stream) StartTLS(ctx context.Context, cfg *tls.Config) error {
	return s.startTLS(ctx, cfg, false)
}

// StartTLSServer is StartTLS for the server side of the connection: cfg
// needs Certificates or GetCertificate.
func (s *Stream) StartTLSServer(ctx context.Context, cfg *tls.Config) error {
	return s.startTLS(ctx, cfg, true)
}

func (s *Stream) startTLS(ctx context.Context, cfg *tls.Config, server bool) error {
	runningTask(ctx, "Stream.StartTLS")
	if cfg == nil {
		panic("asyncio: Stream.StartTLS with a nil *tls.Config")
	}
	if err := s.canUpgrade(); err != nil {
		return err
	}
	if err := s.waitWritten(ctx, 0); err != nil { // what was written goes out in the clear
		return err
	}
	if err := s.park(ctx); err != nil {
		s.abort()
		return err
	}
	raw := &prefixConn{Conn: s.conn, prefix: s.take(s.buffered())}
	var tc *tls.Conn
	if server {
		tc = tls.Server(raw, cfg)
	} else {
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(s.RemoteAddr().String())
		}
		tc = tls.Client(raw, cfg)
	}
	if err := s.handshake(ctx, tc); err != nil {
		s.abort()
		return err
	}
	s.conn, s.raw, s.rawRead = tc, nil, nil // everything goes through TLS now
	s.upgrade = nil
	s.setCounted(true)
	go s.readLoop()
	return nil
}

// canUpgrade says why the stream cannot start TLS now, if it cannot.
func (s *Stream) canUpgrade() error {
	switch {
	case s.shut:
		return fmt.Errorf("asyncio: Stream.StartTLS after Close or WriteEOF: %w", net.ErrClosed)
	case s.readDone:
		return fmt.Errorf("asyncio: Stream.StartTLS on a stream whose peer has stopped sending: %w", io.ErrUnexpectedEOF)
	case s.reader != nil && !s.reader.Done():
		return fmt.Errorf("asyncio: Stream.StartTLS while another task reads the stream")
	case s.upgrade != nil:
		return fmt.Errorf("asyncio: Stream.StartTLS while the stream is being upgraded already")
	case s.werr != nil:
		return s.werr
	}
	return nil
}

// park stops the reader and writer goroutines, so that conn can be
// swapped: the writer once it has nothing to write, the reader by a read
// deadline in the past, which ends the read it is in.
func (s *Stream) park(ctx context.Context) error {
	s.upgrade = CreateFuture[struct{}](ctx)
	s.upgrading.Store(true)
	s.mu.Lock()
	s.stopped = 1 // the writer, unless it runs: then it stops when it sees outUpgrade
	if s.writing {
		s.stopped = 0
		s.outUpgrade = true
	}
	s.mu.Unlock()
	s.conn.SetReadDeadline(time.Unix(1, 0))
	select { // a paused reader goes back to its read, which ends at once
	case s.resume <- struct{}{}:
	default:
	}
	_, err := Await(ctx, Shield(ctx, s.upgrade))
	s.upgrading.Store(false)
	if err == nil {
		err = s.conn.SetReadDeadline(time.Time{})
	}
	return err
}

// parked records, on the loop, that a goroutine of the stream stopped for
// StartTLS, with what the reader had read.
func (s *Stream) parked(data []byte) {
	s.rbuf = append(s.rbuf, data...)
	s.stopped++
	if s.stopped == 2 {
		s.setCounted(false)
		if s.upgrade != nil && !s.upgrade.Done() {
			s.upgrade.SetResult(struct{}{})
		}
	}
}

// handshake does the TLS handshake on a goroutine, counted as I/O in
// flight, and waits for it.
func (s *Stream) handshake(ctx context.Context, tc *tls.Conn) error {
	_, err := awaitGoroutine(ctx, s.l, func() (struct{}, error) {
		return struct{}{}, tc.HandshakeContext(ctx)
	}, func(struct{}) {})
	return err
}

// A prefixConn reads prefix before what conn gives.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

package asyncio

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
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
	s.upgrade = true
	conn, err := s.t.detach(ctx)
	s.setCounted(false) // nothing reads the connection until TLS does
	if err != nil {
		s.upgrade = false
		s.abort()
		return err
	}
	raw := &prefixConn{Conn: conn, prefix: s.take(s.buffered())}
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
	s.t = newGoTransport(s, tc) // everything goes through TLS now
	err = s.handshake(ctx, tc)
	s.upgrade = false
	if err != nil {
		s.abort()
		return err
	}
	s.setCounted(true)
	s.t.start()
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
	case s.upgrade:
		return fmt.Errorf("asyncio: Stream.StartTLS while the stream is being upgraded already")
	case s.werr != nil:
		return s.werr
	case !s.t.external():
		_, err := s.t.detach(nil)
		return err // a Network's connections have no TLS
	}
	return nil
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

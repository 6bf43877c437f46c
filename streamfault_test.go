//go:build unix

package asyncio_test

import (
	"context"
	"errors"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// Hostile and broken peers: each ends in a clear error or an orderly end,
// with nothing leaked (runReal counts goroutines and descriptors).
func TestStreamFaults(t *testing.T) {
	cases := []struct {
		name  string
		peer  func(c net.Conn)
		check func(t *testing.T, ctx context.Context, s *asyncio.Stream)
	}{
		{"peer resets mid-read", func(c net.Conn) {
			var b [1]byte
			c.Read(b[:]) // once connected: a reset during the dial fails the dial
			c.Write([]byte("partial"))
			c.(*net.TCPConn).SetLinger(0) // Close sends RST
			c.Close()
		}, func(t *testing.T, ctx context.Context, s *asyncio.Stream) {
			s.Write([]byte("x"))
			got, err := s.ReadExactly(ctx, 100)
			if !errors.Is(err, syscall.ECONNRESET) {
				// The RST may overtake the data on some kernels: then
				// nothing was read, which is fine; the error is what counts.
				t.Errorf("ReadExactly after a reset = %q, %v; want ECONNRESET", got, err)
			}
			if _, err := s.Read(ctx, make([]byte, 1)); !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("a later Read = %v, want the same reset", err)
			}
		}},
		{"peer accepts and stalls", func(c net.Conn) {
			var b [1]byte
			c.Read(b[:]) // until we close
		}, func(t *testing.T, ctx context.Context, s *asyncio.Stream) {
			dctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			if _, err := s.ReadLine(dctx); err != context.DeadlineExceeded {
				t.Errorf("ReadLine from a stalled peer = %v, want DeadlineExceeded", err)
			}
		}},
		{"peer half-closes", func(c net.Conn) {
			c.Write([]byte("last words\n"))
			c.(*net.TCPConn).CloseWrite()
			var b [5]byte
			n, _ := c.Read(b[:])
			c.Write(b[:n]) // fails: the write side is shut
		}, func(t *testing.T, ctx context.Context, s *asyncio.Stream) {
			line, err := s.ReadLine(ctx)
			if string(line) != "last words\n" || err != nil {
				t.Errorf("ReadLine = %q, %v", line, err)
			}
			if _, err := s.ReadLine(ctx); err == nil || !s.AtEOF() {
				t.Errorf("after the peer's EOF: %v, AtEOF %v", err, s.AtEOF())
			}
			s.Write([]byte("hello")) // the peer still reads
			if err := s.Drain(ctx); err != nil {
				t.Errorf("writing to a half-closed peer: %v", err)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			served := make(chan struct{})
			go func() {
				defer close(served)
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				c.peer(conn)
			}()
			runReal(t, func(ctx context.Context) (int, error) {
				s, err := asyncio.OpenConnection(ctx, "tcp", ln.Addr().String())
				if err != nil {
					return 0, err
				}
				c.check(t, ctx, s)
				s.Close()
				if err := s.WaitClosed(ctx); err != nil {
					return 0, err
				}
				// The peer's end is closed too before the descriptors are counted.
				return asyncio.ToThread(ctx, func() (int, error) { <-served; return 0, nil })
			})
		})
	}
}

package asyncio_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// testCert makes a self-signed certificate for 127.0.0.1, and a pool that
// trusts it.
func testCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "goasyncio test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

func TestStreamTLS(t *testing.T) {
	cert, pool := testCert(t)
	serverCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	cases := []struct {
		name    string
		client  *tls.Config
		wantErr bool
	}{
		{"trusted", &tls.Config{RootCAs: pool}, false},
		{"untrusted", &tls.Config{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var opts []asyncio.Option
			if c.wantErr { // the server's handshake fails as well, which is reported
				opts = append(opts, asyncio.WithExceptionHandler(func(e *asyncio.Exception) {
					if e.Message != "connection handler failed" {
						t.Errorf("unexpected report: %v", e)
					}
				}))
			}
			runReal(t, func(ctx context.Context) (int, error) {
				srv, addr := echoServer(t, ctx, asyncio.StreamOptions(asyncio.WithTLS(serverCfg)))
				defer srv.Close()
				s, err := asyncio.OpenConnection(ctx, "tcp", addr, asyncio.WithTLS(c.client))
				var unknown x509.UnknownAuthorityError
				if c.wantErr {
					if !errors.As(err, &unknown) {
						t.Errorf("OpenConnection = %v, want an x509.UnknownAuthorityError", err)
					}
					// Let the server's handler fail and be reported before
					// the loop closes: a task whose callbacks had not run by
					// then would be reported as never retrieved instead.
					srv.Close()
					return 0, srv.WaitClosed(ctx)
				}
				if err != nil {
					return 0, err
				}
				defer s.Close()
				s.Write([]byte("secret\n"))
				line, err := s.ReadLine(ctx)
				if string(line) != "secret\n" || err != nil {
					t.Errorf("echo over TLS = %q, %v", line, err)
				}
				return 0, nil
			}, opts...)
		})
	}
}

// Go code that wants a net.Conn runs on a stream's Conn view inside a
// task: here crypto/tls itself, on both ends, over plain streams.
func TestStreamConnCarriesTLS(t *testing.T) {
	cert, pool := testCert(t)
	runReal(t, func(ctx context.Context) (int, error) {
		s := connectTo(t, ctx, func(ctx context.Context, s *asyncio.Stream) error {
			tc := tls.Server(s.Conn(ctx), &tls.Config{Certificates: []tls.Certificate{cert}})
			buf := make([]byte, 5)
			if _, err := tc.Read(buf); err != nil {
				return err
			}
			_, err := tc.Write(append([]byte("re: "), buf...))
			return err
		})
		tc := tls.Client(s.Conn(ctx), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
		defer tc.Close()
		if _, err := tc.Write([]byte("hello")); err != nil {
			return 0, err
		}
		buf := make([]byte, 9)
		n, err := tc.Read(buf)
		if string(buf[:n]) != "re: hello" {
			t.Errorf("read %q, %v", buf[:n], err)
		}
		return 0, nil
	})
}

// A deadline on the Conn view ends a Read with os.ErrDeadlineExceeded, a
// net.Error that times out, and loses nothing.
func TestStreamConnDeadline(t *testing.T) {
	runReal(t, func(ctx context.Context) (int, error) {
		release := asyncio.CreateFuture[int](ctx)
		s := connectTo(t, ctx, func(ctx context.Context, s *asyncio.Stream) error {
			if _, err := asyncio.Await(ctx, release); err != nil {
				return err
			}
			s.Write([]byte("late"))
			return s.Drain(ctx)
		})
		defer s.Close()
		conn := s.Conn(ctx)
		conn.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
		buf := make([]byte, 4)
		_, err := conn.Read(buf)
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("Read past the deadline = %v, want os.ErrDeadlineExceeded", err)
		}
		conn.SetReadDeadline(time.Time{})
		release.SetResult(0)
		n, err := io.ReadFull(conn, buf)
		if string(buf[:n]) != "late" {
			t.Errorf("then read %q, %v", buf[:n], err)
		}
		return 0, nil
	})
}

// A plain conversation upgraded to TLS halfway, as SMTP's STARTTLS does,
// on both sides.
func TestStreamStartTLS(t *testing.T) {
	cert, pool := testCert(t)
	runReal(t, func(ctx context.Context) (int, error) {
		c := connectTo(t, ctx, func(ctx context.Context, s *asyncio.Stream) error {
			s.Write([]byte("220 ready\n"))
			if line, err := s.ReadLine(ctx); err != nil || string(line) != "STARTTLS\n" {
				return fmt.Errorf("server read %q, %v", line, err)
			}
			s.Write([]byte("220 go ahead\n"))
			if err := s.StartTLSServer(ctx, &tls.Config{Certificates: []tls.Certificate{cert}}); err != nil {
				return err
			}
			line, err := s.ReadLine(ctx)
			if err != nil {
				return err
			}
			s.Write(append([]byte("secure: "), line...))
			return s.Drain(ctx)
		})
		defer c.Close()
		greeting, _ := c.ReadLine(ctx)
		c.Write([]byte("STARTTLS\n"))
		goAhead, _ := c.ReadLine(ctx)
		if string(greeting) != "220 ready\n" || string(goAhead) != "220 go ahead\n" {
			t.Fatalf("plain part: %q, %q", greeting, goAhead)
		}
		if err := c.StartTLS(ctx, &tls.Config{RootCAs: pool}); err != nil {
			return 0, err
		}
		c.Write([]byte("hello\n"))
		reply, err := c.ReadLine(ctx)
		if string(reply) != "secure: hello\n" {
			t.Errorf("over TLS: %q, %v", reply, err)
		}
		return 0, nil
	})
}

// A Write from another task while StartTLS is under way is an error: the
// bytes belong neither to the clear part, which is over, nor to the TLS
// stream, which is not up yet.
func TestStreamWriteDuringStartTLS(t *testing.T) {
	cert, pool := testCert(t)
	runReal(t, func(ctx context.Context) (int, error) {
		var proceed asyncio.Event
		c := connectTo(t, ctx, func(ctx context.Context, s *asyncio.Stream) error {
			if err := proceed.Wait(ctx); err != nil { // hold the handshake back
				return err
			}
			return s.StartTLSServer(ctx, &tls.Config{Certificates: []tls.Certificate{cert}})
		})
		defer c.Close()
		upgraded := asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, c.StartTLS(ctx, &tls.Config{RootCAs: pool})
		})
		if err := asyncio.Sleep(ctx, 0); err != nil { // StartTLS begins
			return 0, err
		}
		if _, err := c.Write([]byte("clear\n")); err == nil {
			t.Error("Write during StartTLS succeeded; want an error")
		}
		proceed.Set()
		if _, err := asyncio.Await(ctx, upgraded); err != nil {
			return 0, err
		}
		if _, err := c.Write([]byte("after\n")); err != nil {
			t.Errorf("Write after StartTLS: %v", err)
		}
		return 0, nil
	})
}

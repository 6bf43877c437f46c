package asyncio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// echoServer starts a server on 127.0.0.1 that sends back every line it
// reads, and returns its address.
func echoServer(t *testing.T, ctx context.Context, opts ...asyncio.ServerOption) (*asyncio.Server, string) {
	t.Helper()
	srv, err := asyncio.StartServer(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *asyncio.Stream) error {
		for {
			line, err := s.ReadLine(ctx)
			if len(line) > 0 {
				s.Write(line)
				if err := s.Drain(ctx); err != nil {
					return err
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return srv, srv.Addrs()[0].String()
}

func TestStreamEcho(t *testing.T) {
	runReal(t, func(ctx context.Context) (int, error) {
		srv, addr := echoServer(t, ctx)
		defer srv.Close()
		c, err := asyncio.OpenConnection(ctx, "tcp", addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		for _, msg := range []string{"hello\n", "世界\n", strings.Repeat("x", 10000) + "\n"} {
			c.Write([]byte(msg))
			if err := c.Drain(ctx); err != nil {
				return 0, err
			}
			got, err := c.ReadLine(ctx)
			if err != nil || string(got) != msg {
				t.Errorf("echo of %.20q = %.20q, %v", msg, got, err)
			}
		}
		if c.RemoteAddr().String() != addr {
			t.Errorf("RemoteAddr = %v, want %s", c.RemoteAddr(), addr)
		}
		return 0, nil
	})
}

// connectTo starts a server on 127.0.0.1 that runs handler for each
// connection, and returns a stream connected to it. The loop closes both as
// Run ends.
func connectTo(t testing.TB, ctx context.Context, handler func(ctx context.Context, s *asyncio.Stream) error, opts ...asyncio.StreamOption) *asyncio.Stream {
	t.Helper()
	srv, err := asyncio.StartServer(ctx, "tcp", "127.0.0.1:0", handler)
	if err != nil {
		t.Fatal(err)
	}
	c, err := asyncio.OpenConnection(ctx, "tcp", srv.Addrs()[0].String(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// sendAndClose returns a stream connected to a server whose handler sends
// data, then closes the connection.
func sendAndClose(t *testing.T, ctx context.Context, data string, opts ...asyncio.StreamOption) *asyncio.Stream {
	t.Helper()
	return connectTo(t, ctx, func(ctx context.Context, s *asyncio.Stream) error {
		s.Write([]byte(data))
		return s.Drain(ctx)
	}, opts...)
}

func TestStreamReads(t *testing.T) {
	cases := []struct {
		name string
		data string
		opts []asyncio.StreamOption
		read func(ctx context.Context, s *asyncio.Stream) string
		want string
	}{
		{"ReadExactly", "0123456789", nil, func(ctx context.Context, s *asyncio.Stream) string {
			a, err1 := s.ReadExactly(ctx, 4)
			b, err2 := s.ReadExactly(ctx, 6)
			return string(a) + "|" + string(b) + "|" + errs(err1, err2)
		}, "0123|456789|<nil> <nil>"},
		{"ReadExactly past the end", "01234", nil, func(ctx context.Context, s *asyncio.Stream) string {
			_, err := s.ReadExactly(ctx, 10)
			var inc *asyncio.IncompleteReadError
			if !errors.As(err, &inc) || !errors.Is(err, io.ErrUnexpectedEOF) {
				return "error " + errs(err)
			}
			return string(inc.Partial) + "|" + errs(s.ReadExactly(ctx, 1))
		}, "01234|stream ended after 0 of 1 expected bytes"},
		{"ReadUntil", "a--b--c", nil, func(ctx context.Context, s *asyncio.Stream) string {
			a, _ := s.ReadUntil(ctx, []byte("--"))
			b, _ := s.ReadUntil(ctx, []byte("--"))
			_, err := s.ReadUntil(ctx, []byte("--"))
			var inc *asyncio.IncompleteReadError
			errors.As(err, &inc)
			return string(a) + "|" + string(b) + "|" + string(inc.Partial)
		}, "a--|b--|c"},
		{"ReadUntil over the limit leaves the bytes", "0123456789abcdef\nrest", []asyncio.StreamOption{asyncio.WithStreamLimit(8)}, func(ctx context.Context, s *asyncio.Stream) string {
			_, err := s.ReadUntil(ctx, []byte("\n"))
			var over *asyncio.LimitOverrunError
			if !errors.As(err, &over) {
				return "error " + errs(err)
			}
			all, _ := s.ReadExactly(ctx, 21)
			return string(all)
		}, "0123456789abcdef\nrest"},
		{"ReadLine drops a line over the limit", "0123456789abcdef\nnext\n", []asyncio.StreamOption{asyncio.WithStreamLimit(8)}, func(ctx context.Context, s *asyncio.Stream) string {
			_, err := s.ReadLine(ctx)
			line, err2 := s.ReadLine(ctx)
			return errs(err) + "|" + string(line) + errs(err2)
		}, "separator not found within the stream's limit (16 bytes looked at); raise it with WithStreamLimit|next\n<nil>"},
		{"ReadLine at the end", "one\ntwo", nil, func(ctx context.Context, s *asyncio.Stream) string {
			a, err1 := s.ReadLine(ctx)
			b, err2 := s.ReadLine(ctx)
			c, err3 := s.ReadLine(ctx)
			return string(a) + string(b) + "|" + string(c) + "|" + errs(err1, err2, err3) + "|" + boolStr(s.AtEOF())
		}, "one\ntwo||<nil> EOF EOF|true"},
		{"Read", "abcdef", nil, func(ctx context.Context, s *asyncio.Stream) string {
			var out []byte
			p := make([]byte, 4)
			for {
				n, err := s.Read(ctx, p)
				out = append(out, p[:n]...)
				if err != nil {
					return string(out) + "|" + errs(err)
				}
			}
		}, "abcdef|EOF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runReal(t, func(ctx context.Context) (int, error) {
				s := sendAndClose(t, ctx, c.data, c.opts...)
				defer s.Close()
				if got := c.read(ctx, s); got != c.want {
					t.Errorf("got %q, want %q", got, c.want)
				}
				return 0, nil
			})
		})
	}
}

// errs joins the texts of errs, with "asyncio: " cut, for comparisons.
func errs(args ...any) string {
	var parts []string
	for _, a := range args {
		switch v := a.(type) {
		case error:
			parts = append(parts, strings.TrimPrefix(v.Error(), "asyncio: "))
		case nil:
			parts = append(parts, "<nil>")
		}
	}
	return strings.Join(parts, " ")
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// A read that is cancelled, or whose derived ctx ends, takes nothing: the
// next read gets every byte, once.
func TestStreamInterruptedReadLosesNothing(t *testing.T) {
	runReal(t, func(ctx context.Context) (int, error) {
		release := asyncio.CreateFuture[int](ctx)
		c := connectTo(t, ctx, func(ctx context.Context, s *asyncio.Stream) error {
			s.Write([]byte("01234"))
			if err := s.Drain(ctx); err != nil {
				return err
			}
			if _, err := asyncio.Await(ctx, release); err != nil {
				return err
			}
			s.Write([]byte("56789"))
			return s.Drain(ctx)
		})
		defer c.Close()
		reader := asyncio.CreateTask(ctx, func(ctx context.Context) ([]byte, error) {
			return c.ReadExactly(ctx, 10)
		})
		asyncio.Sleep(ctx, 20*time.Millisecond) // the reader has the first five bytes, and waits
		reader.Cancel()
		if _, err := asyncio.Await(ctx, reader); !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("cancelled reader got %v", err)
		}
		dctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		defer cancel()
		if _, err := c.ReadExactly(dctx, 10); err != context.DeadlineExceeded {
			t.Errorf("read with an expired ctx = %v, want DeadlineExceeded", err)
		}
		release.SetResult(0)
		got, err := c.ReadExactly(ctx, 10)
		if string(got) != "0123456789" || err != nil {
			t.Errorf("the next read got %q, %v; want every byte once", got, err)
		}
		return 0, nil
	})
}

// Drain holds the writer back while the peer does not read, and lets it go
// once the peer has read enough: flow control.
func TestStreamDrainWaitsForThePeer(t *testing.T) {
	const total = 64 << 20 // more than the kernel's socket buffers hold
	runReal(t, func(ctx context.Context) (int, error) {
		var start asyncio.Event
		received := asyncio.CreateFuture[int](ctx)
		c := connectTo(t, ctx, func(ctx context.Context, s *asyncio.Stream) error {
			if err := start.Wait(ctx); err != nil {
				return err
			}
			n := 0
			p := make([]byte, 1<<20)
			for {
				k, err := s.Read(ctx, p)
				n += k
				if err != nil {
					received.SetResult(n)
					return nil
				}
			}
		}, asyncio.WithWriteBufferLimits(1<<20, 0))
		drained := false
		writer := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			c.Write(make([]byte, total))
			err := c.Drain(ctx)
			drained = true
			return 0, err
		})
		asyncio.Sleep(ctx, 50*time.Millisecond)
		if drained || c.Buffered() == 0 {
			t.Errorf("Drain returned (%v) with %d bytes buffered before the peer read anything", drained, c.Buffered())
		}
		start.Set()
		if _, err := asyncio.Await(ctx, writer); err != nil {
			return 0, err
		}
		if c.Buffered() > 0 {
			t.Errorf("Drain returned with %d bytes buffered, want 0 (low-water mark)", c.Buffered())
		}
		c.Close()
		if n, err := asyncio.Await(ctx, received); n != total || err != nil {
			t.Errorf("the peer received %d bytes, want %d", n, total)
		}
		return 0, c.WaitClosed(ctx)
	})
}

// WriteEOF ends the writing side only: the peer reads to the end and can
// still answer.
func TestStreamWriteEOF(t *testing.T) {
	runReal(t, func(ctx context.Context) (int, error) {
		c := connectTo(t, ctx, func(ctx context.Context, s *asyncio.Stream) error {
			var got bytes.Buffer
			p := make([]byte, 64)
			for {
				n, err := s.Read(ctx, p)
				got.Write(p[:n])
				if err == io.EOF {
					break
				} else if err != nil {
					return err
				}
			}
			s.Write([]byte("got " + got.String()))
			return s.Drain(ctx)
		})
		defer c.Close()
		c.Write([]byte("hello"))
		if err := c.WriteEOF(); err != nil {
			return 0, err
		}
		if _, err := c.Write([]byte("more")); !errors.Is(err, net.ErrClosed) {
			t.Errorf("Write after WriteEOF = %v, want net.ErrClosed", err)
		}
		reply, err := c.ReadUntil(ctx, []byte("hello"))
		if string(reply) != "got hello" || err != nil {
			t.Errorf("reply %q, %v", reply, err)
		}
		return 0, nil
	})
}

// A server limited to one connection at a time handles the next only after
// the first handler returns, in the order they came.
func TestServerMaxConns(t *testing.T) {
	runReal(t, func(ctx context.Context) (int, error) {
		var order []string
		srv, err := asyncio.StartServer(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *asyncio.Stream) error {
			line, err := s.ReadLine(ctx)
			order = append(order, "start "+strings.TrimSpace(string(line)))
			if err != nil {
				return err
			}
			asyncio.Sleep(ctx, 20*time.Millisecond)
			order = append(order, "end "+strings.TrimSpace(string(line)))
			return nil
		}, asyncio.WithMaxConns(1))
		if err != nil {
			return 0, err
		}
		addr := srv.Addrs()[0].String()
		var clients []*asyncio.Stream
		for _, name := range []string{"a", "b"} {
			c, err := asyncio.OpenConnection(ctx, "tcp", addr)
			if err != nil {
				return 0, err
			}
			c.Write([]byte(name + "\n"))
			clients = append(clients, c)
			asyncio.Sleep(ctx, 5*time.Millisecond) // a connects first
		}
		for _, c := range clients {
			if _, err := c.ReadExactly(ctx, 1); err == nil { // the handler closes it
				t.Error("read a byte the server never sent")
			}
			c.Close()
		}
		srv.Close()
		if err := srv.WaitClosed(ctx); err != nil {
			return 0, err
		}
		if got := strings.Join(order, ", "); got != "start a, end a, start b, end b" {
			t.Errorf("handlers ran %s", got)
		}
		return 0, nil
	})
}

// A handler's error goes to the exception handler, naming the task.
func TestServerHandlerErrorIsReported(t *testing.T) {
	defer noLeaks(t)()
	var reports []*asyncio.Exception
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		srv, err := asyncio.StartServer(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *asyncio.Stream) error {
			return errBoom
		})
		if err != nil {
			return 0, err
		}
		c, err := asyncio.OpenConnection(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return 0, err
		}
		c.Read(ctx, make([]byte, 1)) // returns once the handler has closed the stream
		c.Close()
		srv.Close()
		return 0, srv.WaitClosed(ctx)
	}, asyncio.WithExceptionHandler(func(e *asyncio.Exception) { reports = append(reports, e) }))
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || !errors.Is(reports[0].Err, errBoom) || reports[0].Message != "connection handler failed" {
		t.Errorf("reports = %v, want one with errBoom", reports)
	}
}

// Servers and streams left open when Run returns are closed with the loop:
// no goroutine, no file descriptor outlives it (runNet checks).
func TestLoopClosesWhatIsLeftOpen(t *testing.T) {
	runReal(t, func(ctx context.Context) (int, error) {
		srv, addr := echoServer(t, ctx)
		_ = srv
		c, err := asyncio.OpenConnection(ctx, "tcp", addr)
		if err != nil {
			return 0, err
		}
		c.Write([]byte("ping\n"))
		_, err = c.ReadLine(ctx)
		return 0, err
	})
}

func TestStreamUnixSocket(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no unix sockets")
	}
	path := filepath.Join(t.TempDir(), "s")
	runReal(t, func(ctx context.Context) (int, error) {
		srv, err := asyncio.StartServer(ctx, "unix", path, func(ctx context.Context, s *asyncio.Stream) error {
			s.Write([]byte("over a unix socket\n"))
			return s.Drain(ctx)
		})
		if err != nil {
			return 0, err
		}
		defer srv.Close()
		c, err := asyncio.OpenConnection(ctx, "unix", path)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		line, err := c.ReadLine(ctx)
		if string(line) != "over a unix socket\n" {
			t.Errorf("read %q, %v", line, err)
		}
		return 0, nil
	})
}

func TestOpenConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	runReal(t, func(ctx context.Context) (int, error) {
		_, err := asyncio.OpenConnection(ctx, "tcp", addr)
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			t.Errorf("OpenConnection to a closed port = %v, want a dial *net.OpError", err)
		}
		return 0, nil
	})
}

// Two tasks may not read one stream at once.
func TestStreamConcurrentReadIsAnError(t *testing.T) {
	runReal(t, func(ctx context.Context) (int, error) {
		srv, addr := echoServer(t, ctx)
		defer srv.Close()
		c, err := asyncio.OpenConnection(ctx, "tcp", addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		first := asyncio.CreateTask(ctx, func(ctx context.Context) ([]byte, error) { return c.ReadLine(ctx) })
		asyncio.Sleep(ctx, 0)
		if _, err := c.ReadLine(ctx); err == nil || !strings.Contains(err.Error(), "another task reads the stream") {
			t.Errorf("second reader got %v", err)
		}
		c.Write([]byte("x\n"))
		line, err := asyncio.Await(ctx, first)
		if string(line) != "x\n" {
			t.Errorf("first reader got %q, %v", line, err)
		}
		return 0, nil
	})
}

// BenchmarkStreamEcho is one round trip of a 64-byte line between a client
// stream and an echo server on 127.0.0.1.
func BenchmarkStreamEcho(b *testing.B) {
	line := []byte(strings.Repeat("x", 63) + "\n")
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		c := connectTo(b, ctx, func(ctx context.Context, s *asyncio.Stream) error {
			for {
				l, err := s.ReadLine(ctx)
				if err != nil {
					return nil
				}
				s.Write(l)
			}
		})
		defer c.Close()
		b.ResetTimer()
		for range b.N {
			c.Write(line)
			if _, err := c.ReadLine(ctx); err != nil {
				return 0, err
			}
		}
		return 0, nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkIdleConnections reports the memory a loop holds per open, idle
// connection: the server's stream, its transport (on Linux, no goroutine)
// and the handler task parked in a read. The clients are plain connections
// outside the loop, not counted.
func BenchmarkIdleConnections(b *testing.B) {
	const n = 2000
	for range b.N {
		var clients []net.Conn
		_, err := asyncio.Run(func(ctx context.Context) (int, error) {
			accepted := 0
			var all asyncio.Event
			srv, err := asyncio.StartServer(ctx, "tcp", "127.0.0.1:0", func(ctx context.Context, s *asyncio.Stream) error {
				if accepted++; accepted == n {
					all.Set()
				}
				_, err := s.ReadLine(ctx) // idle until the end
				return err
			})
			if err != nil {
				return 0, err
			}
			defer srv.Close()
			var before, after runtime.MemStats
			settle := func(m *runtime.MemStats) {
				for range 3 { // objects with finalizers, as connections have, take two cycles
					runtime.GC()
				}
				runtime.ReadMemStats(m)
			}
			settle(&before)
			addr := srv.Addrs()[0].String()
			for range n {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return 0, err
				}
				clients = append(clients, c)
			}
			if err := all.Wait(ctx); err != nil {
				return 0, err
			}
			settle(&after)
			used := int64(after.HeapAlloc+after.StackInuse) - int64(before.HeapAlloc+before.StackInuse)
			b.ReportMetric(float64(used)/n, "B/conn")
			for _, c := range clients {
				c.Close()
			}
			return 0, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamThroughput moves b.N bytes over one stream on loopback,
// in 64 KiB pieces, to or from a plain connection outside the loop: the
// stream writes with Write and Drain, or reads with Read.
func BenchmarkStreamThroughput(b *testing.B) {
	const piece = 64 << 10
	b.Run("send", func(b *testing.B) {
		b.SetBytes(1)
		ln, addr := plainPeer(b, func(c net.Conn) { io.Copy(io.Discard, c) })
		defer ln.Close()
		_, err := asyncio.Run(func(ctx context.Context) (int, error) {
			c, err := asyncio.OpenConnection(ctx, "tcp", addr)
			if err != nil {
				return 0, err
			}
			data := make([]byte, piece)
			b.ResetTimer()
			for left := b.N; left > 0; left -= piece {
				c.Write(data[:min(left, piece)])
				if err := c.Drain(ctx); err != nil {
					return 0, err
				}
			}
			c.Close()
			return 0, c.WaitClosed(ctx)
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("receive", func(b *testing.B) {
		b.SetBytes(1)
		ln, addr := plainPeer(b, func(c net.Conn) {
			data := make([]byte, piece)
			for left := b.N; left > 0; left -= piece {
				c.Write(data[:min(left, piece)])
			}
			c.Close()
		})
		defer ln.Close()
		_, err := asyncio.Run(func(ctx context.Context) (int, error) {
			c, err := asyncio.OpenConnection(ctx, "tcp", addr)
			if err != nil {
				return 0, err
			}
			defer c.Close()
			buf := make([]byte, piece)
			b.ResetTimer()
			total := 0
			for {
				n, err := c.Read(ctx, buf)
				total += n
				if err == io.EOF {
					break
				} else if err != nil {
					return 0, err
				}
			}
			if total != b.N {
				b.Errorf("received %d of %d bytes", total, b.N)
			}
			return 0, nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
}

// plainPeer listens on 127.0.0.1 and serves one connection with serve, on
// a goroutine of its own, outside any loop.
func plainPeer(b *testing.B, serve func(net.Conn)) (net.Listener, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	}()
	return ln, ln.Addr().String()
}

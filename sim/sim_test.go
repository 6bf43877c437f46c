package sim_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/sim"
)

// echo serves lines back on port 7 of its host.
func echo(ctx context.Context) error { return serve(echoLines)(ctx) }

// echoLines sends back the lines it reads.
func echoLines(ctx context.Context, s *asyncio.Stream) error {
	for {
		line, err := s.ReadLine(ctx)
		if len(line) > 0 {
			s.Write(line)
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// serve returns a boot function that serves port 7 with handler.
func serve(handler func(ctx context.Context, s *asyncio.Stream) error) func(context.Context) error {
	return func(ctx context.Context) error {
		srv, err := asyncio.StartServer(ctx, "tcp", ":7", handler)
		if err != nil {
			return err
		}
		return srv.ServeForever(ctx)
	}
}

// roundTrip opens a connection from the task's host to addr, sends a line
// and returns the echo.
func roundTrip(ctx context.Context, addr, line string) (string, error) {
	c, err := asyncio.OpenConnection(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.Write([]byte(line))
	got, err := c.ReadLine(ctx)
	return string(got), err
}

// withConn runs w with fn as a task of host "client" that holds a
// connection to port 7 of host "server", and returns Run's error.
func withConn(w *sim.World, fn func(ctx context.Context, c *asyncio.Stream) error, opts ...asyncio.StreamOption) error {
	client := w.Host("client")
	return w.Run(func(ctx context.Context) error {
		_, err := asyncio.Await(ctx, client.Go(ctx, func(ctx context.Context) error {
			c, err := asyncio.OpenConnection(ctx, "tcp", "server:7", opts...)
			if err != nil {
				return err
			}
			defer c.Close()
			return fn(ctx, c)
		}))
		return err
	})
}

func TestEchoAcrossHosts(t *testing.T) {
	w := sim.New(1)
	w.Host("server").Boot(echo)
	client := w.Host("client")
	w.SetLink("client", "server", sim.Link{Latency: 10 * time.Millisecond})
	var got string
	var took time.Duration
	err := w.Run(func(ctx context.Context) error {
		tk := client.Go(ctx, func(ctx context.Context) error {
			l, _ := asyncio.GetRunningLoop(ctx)
			start := l.Time()
			var err error
			got, err = roundTrip(ctx, "server:7", "hello\n")
			took = l.Time() - start
			return err
		})
		_, err := asyncio.Await(ctx, tk)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != "hello\n" {
		t.Errorf("echo = %q, want %q", got, "hello\n")
	}
	// A round trip to connect, one for the line: 40 ms of virtual time.
	if took != 40*time.Millisecond {
		t.Errorf("the exchange took %v of virtual time, want 40ms", took)
	}
}

func TestSameSeedSameTrace(t *testing.T) {
	run := func(seed uint64) string {
		w := sim.New(seed)
		w.SetDefaultLink(sim.Link{Latency: 5 * time.Millisecond, Jitter: 20 * time.Millisecond})
		w.Host("server").Boot(echo)
		var clients []*sim.Host
		for _, name := range []string{"c1", "c2", "c3"} {
			clients = append(clients, w.Host(name))
		}
		err := w.Run(func(ctx context.Context) error {
			var tasks []asyncio.Awaitable[struct{}]
			for _, c := range clients {
				tasks = append(tasks, c.Go(ctx, func(ctx context.Context) error {
					for i := range 5 {
						if _, err := roundTrip(ctx, "server:7", strings.Repeat("x", i+1)+"\n"); err != nil {
							return err
						}
					}
					return nil
				}))
			}
			_, err := asyncio.Gather(ctx, tasks...)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return w.Trace()
	}
	a, b := run(42), run(42)
	if a != b {
		t.Errorf("two runs of seed 42 differ:\n%s\n---\n%s", a, b)
	}
	if c := run(43); c == a {
		t.Errorf("seeds 42 and 43 gave the same trace; jitter should differ:\n%s", a)
	}
	if !strings.Contains(a, "dial server:7") || !strings.Contains(a, "accept from c1") {
		t.Errorf("the trace lacks the connections:\n%s", a)
	}
	if !strings.Contains(a, "server: task sim_test.echo started") || !strings.Contains(a, "c1: task sim_test.TestSameSeedSameTrace.func1.1.1 returned") {
		t.Errorf("the trace lacks the host tasks' events:\n%s", a)
	}
}

func TestDialErrors(t *testing.T) {
	cases := []struct {
		name string
		addr string
		want func(error) bool
	}{
		{"no listener", "server:8", func(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }},
		{"unknown host", "nowhere:7", func(err error) bool { return err != nil && strings.Contains(err.Error(), "no such host") }},
		{"real address", "192.0.2.1:7", func(err error) bool { return err != nil && strings.Contains(err.Error(), "no such host") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.New(1)
			w.Host("server").Boot(echo)
			client := w.Host("client")
			err := w.Run(func(ctx context.Context) error {
				_, err := asyncio.Await(ctx, client.Go(ctx, func(ctx context.Context) error {
					_, err := roundTrip(ctx, tc.addr, "x\n")
					return err
				}))
				return err
			})
			if !tc.want(err) {
				t.Errorf("dial %s: %v", tc.addr, err)
			}
		})
	}
}

func TestPartitionHoldsBytesUntilRepair(t *testing.T) {
	w := sim.New(1)
	w.Host("server").Boot(echo)
	var got string
	var at time.Duration
	err := withConn(w, func(ctx context.Context, c *asyncio.Stream) error {
		w.Partition("client", "server")
		asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
			err := asyncio.Sleep(ctx, time.Hour)
			w.Repair("client", "server")
			return struct{}{}, err
		})
		c.Write([]byte("late\n"))
		line, err := c.ReadLine(ctx)
		l, _ := asyncio.GetRunningLoop(ctx)
		got, at = string(line), l.Time()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != "late\n" || at != time.Hour+2*time.Millisecond+2*time.Millisecond {
		t.Errorf("echo %q at %v; want %q at 1h0m0.004s, after the repair", got, at, "late\n")
	}
}
func TestCrashResetsPeersAndRestartBoots(t *testing.T) {
	w := sim.New(1)
	boots := 0
	w.Host("server").Boot(func(ctx context.Context) error {
		boots++
		return echo(ctx)
	})
	client := w.Host("client")
	var readErr, afterCrash, afterRestart error
	err := w.Run(func(ctx context.Context) error {
		tk := client.Go(ctx, func(ctx context.Context) error {
			c, err := asyncio.OpenConnection(ctx, "tcp", "server:7")
			if err != nil {
				return err
			}
			defer c.Close()
			_, readErr = c.ReadLine(ctx) // the crash ends it
			return nil
		})
		if err := asyncio.Sleep(ctx, time.Second); err != nil {
			return err
		}
		w.Crash(ctx, "server")
		if _, err := asyncio.Await(ctx, tk); err != nil {
			return err
		}
		_, err := asyncio.Await(ctx, client.Go(ctx, func(ctx context.Context) error {
			_, afterCrash = roundTrip(ctx, "server:7", "x\n")
			return nil
		}))
		if err != nil {
			return err
		}
		w.Restart(ctx, "server")
		_, err = asyncio.Await(ctx, client.Go(ctx, func(ctx context.Context) error {
			_, afterRestart = roundTrip(ctx, "server:7", "x\n")
			return nil
		}))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(readErr, syscall.ECONNRESET) {
		t.Errorf("read across the crash: %v, want ECONNRESET", readErr)
	}
	if !errors.Is(afterCrash, syscall.ECONNREFUSED) {
		t.Errorf("dial to the crashed host: %v, want ECONNREFUSED", afterCrash)
	}
	if afterRestart != nil || boots != 2 {
		t.Errorf("after restart: %v, %d boots; want a working echo and 2 boots", afterRestart, boots)
	}
}

func TestDeadlockListsTasksByHost(t *testing.T) {
	w := sim.New(1)
	w.Host("server").Boot(serve(func(ctx context.Context, s *asyncio.Stream) error {
		_, err := s.ReadLine(ctx) // the client never writes
		return err
	}))
	client := w.Host("client")
	err := w.Run(func(ctx context.Context) error {
		_, err := asyncio.Await(ctx, client.Go(ctx, func(ctx context.Context) error {
			_, err := roundTrip(ctx, "server:7", "") // sends nothing, waits for a line
			return err
		}))
		return err
	})
	var de *sim.DeadlockError
	if !errors.As(err, &de) || !errors.Is(err, asyncio.ErrDeadlock) {
		t.Fatalf("Run: %v; want a *sim.DeadlockError matching ErrDeadlock", err)
	}
	awaiting := func(host string) []string {
		var s []string
		for _, ti := range de.Hosts[host] {
			s = append(s, ti.Awaiting)
		}
		return s
	}
	if len(de.Hosts["server"]) < 2 || len(de.Hosts["client"]) != 1 || len(de.Hosts[""]) != 1 {
		t.Errorf("stuck tasks: server %q, client %q, no host %q; want the server's boot task and handler, the client's task, the driver",
			awaiting("server"), awaiting("client"), awaiting(""))
	}
	if !strings.Contains(err.Error(), "host server:") || !strings.Contains(err.Error(), "host client:") {
		t.Errorf("the error does not group the tasks by host:\n%v", err)
	}
}

func TestHoldDeliversInOrderOnRelease(t *testing.T) {
	w := sim.New(1)
	w.Host("server").Boot(echo)
	var lines []string
	err := withConn(w, func(ctx context.Context, c *asyncio.Stream) error {
		w.Hold("client", "server")
		for _, s := range []string{"one\n", "two\n", "three\n"} {
			c.Write([]byte(s))
			if err := asyncio.Sleep(ctx, time.Second); err != nil {
				return err
			}
		}
		w.Release("client", "server")
		for range 3 {
			line, err := c.ReadLine(ctx)
			if err != nil {
				return err
			}
			lines = append(lines, string(line))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(lines, "") != "one\ntwo\nthree\n" {
		t.Errorf("echoes after Release: %q; want one, two, three in order", lines)
	}
}

// A peer that never reads fills the connection's window: Drain waits, and
// the memory held stays bounded.
func TestDrainWaitsForAPeerThatDoesNotRead(t *testing.T) {
	w := sim.New(1)
	w.Host("server").Boot(serve(func(ctx context.Context, s *asyncio.Stream) error {
		return asyncio.Sleep(ctx, time.Hour) // reads nothing
	}))
	var sent int
	var drained bool
	err := withConn(w, func(ctx context.Context, c *asyncio.Stream) error {
		chunk := make([]byte, 16<<10)
		wait, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		for sent < 64<<20 {
			c.Write(chunk)
			sent += len(chunk)
			if err := c.Drain(wait); err != nil {
				return nil // the peer stopped taking bytes: Drain waits
			}
		}
		drained = true
		return nil
	}, asyncio.WithWriteBufferLimits(64<<10, 16<<10))
	if err != nil {
		t.Fatal(err)
	}
	// The server's stream takes up to twice its 64 KiB limit, the
	// connection 256 KiB more, the client buffers up to 64 KiB past its
	// high-water mark.
	if drained || sent > 1<<20 {
		t.Errorf("the client sent %d bytes to a peer that reads nothing (Drain never waited: %v); want it held under 1 MiB", sent, drained)
	}
}
func TestBandwidthSpacesMessages(t *testing.T) {
	w := sim.New(1)
	w.Host("server").Boot(echo)
	w.Host("client")
	w.SetLink("client", "server", sim.Link{Latency: time.Millisecond, Bandwidth: 1000})
	var took time.Duration
	err := withConn(w, func(ctx context.Context, c *asyncio.Stream) error {
		l, _ := asyncio.GetRunningLoop(ctx)
		start := l.Time()
		c.Write([]byte(strings.Repeat("x", 499) + "\n"))
		_, err := c.ReadLine(ctx)
		took = l.Time() - start
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// 500 B at 1000 B/s each way, plus 1 ms of latency each way.
	if took != time.Second+2*time.Millisecond {
		t.Errorf("500 B there and back at 1000 B/s took %v, want 1.002s", took)
	}
}
func TestCallsOutsideTheWorldPanic(t *testing.T) {
	w := sim.New(1)
	h := w.Host("a")
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		h.Go(ctx, func(context.Context) error { return nil })
		return 0, nil
	})
	if err == nil || !strings.Contains(err.Error(), "Host.Go outside the World's Run") {
		t.Errorf("Host.Go from another loop: %v; want a panic naming the call", err)
	}
}

// udpEcho sends back every datagram that comes to port 53 of its host.
func udpEcho(ctx context.Context) error {
	d, err := asyncio.ListenDatagram(ctx, "udp", ":53")
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		p, from, err := d.RecvFrom(ctx)
		if err != nil {
			return err
		}
		if err := d.SendTo(p, from); err != nil {
			return err
		}
	}
}

func TestDatagrams(t *testing.T) {
	cases := []struct {
		name   string
		link   sim.Link
		cut    bool
		echoes int // of 3 sent, each waited for 1 s
	}{
		{"delivered", sim.Link{Latency: time.Millisecond}, false, 3},
		{"lost", sim.Link{Latency: time.Millisecond, Loss: 1}, false, 0},
		{"duplicated", sim.Link{Latency: time.Millisecond, Duplicate: 1}, false, 12}, // doubled each way
		{"cut by a partition", sim.Link{Latency: time.Millisecond}, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := sim.New(1)
			w.Host("server").Boot(udpEcho)
			client := w.Host("client")
			w.SetLink("client", "server", tc.link)
			echoes := 0
			err := w.Run(func(ctx context.Context) error {
				if tc.cut {
					w.Partition("client", "server")
				}
				_, err := asyncio.Await(ctx, client.Go(ctx, func(ctx context.Context) error {
					d, err := asyncio.DialDatagram(ctx, "udp", "server:53")
					if err != nil {
						return err
					}
					defer d.Close()
					for range 3 {
						if err := d.Send([]byte("ping")); err != nil {
							return err
						}
					}
					for {
						wait, cancel := context.WithTimeout(ctx, time.Second)
						p, _, err := d.RecvFrom(wait)
						cancel()
						if errors.Is(err, context.DeadlineExceeded) {
							return nil
						}
						if err != nil {
							return err
						}
						if string(p) != "ping" {
							return fmt.Errorf("echo %q, want %q", p, "ping")
						}
						echoes++
					}
				}))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if echoes != tc.echoes {
				t.Errorf("%d echoes of 3 datagrams, want %d", echoes, tc.echoes)
			}
		})
	}
}

// A connection request that arrives after its dialler gave up is answered
// with a reset, as a real stack answers a SYN-ACK it has no socket for:
// the server's end does not wait forever.
func TestLateAcceptAfterConnectTimeoutIsReset(t *testing.T) {
	w := sim.New(1)
	var handlerErr error
	handled := false
	w.Host("server").Boot(serve(func(ctx context.Context, s *asyncio.Stream) error {
		_, handlerErr = s.ReadLine(ctx)
		handled = true
		return nil
	}))
	client := w.Host("client")
	var dialErr error
	err := w.Run(func(ctx context.Context) error {
		w.Partition("client", "server")
		tk := client.Go(ctx, func(ctx context.Context) error {
			_, dialErr = asyncio.OpenConnection(ctx, "tcp", "server:7")
			return nil
		})
		if _, err := asyncio.Await(ctx, tk); err != nil {
			return err
		}
		w.Repair("client", "server")
		return asyncio.Sleep(ctx, time.Second)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(dialErr, syscall.ETIMEDOUT) {
		t.Fatalf("dial across the partition: %v, want ETIMEDOUT", dialErr)
	}
	if !handled || !errors.Is(handlerErr, syscall.ECONNRESET) {
		t.Errorf("the server's end of the abandoned connection: handled %v, read error %v; want ECONNRESET", handled, handlerErr)
	}
}

func TestResetAndAddressInUse(t *testing.T) {
	w := sim.New(1)
	var bindErr error
	w.Host("server").Boot(func(ctx context.Context) error {
		_, bindErr = asyncio.StartServer(ctx, "tcp", ":7", func(ctx context.Context, _ *asyncio.Stream) error {
			return asyncio.Sleep(ctx, time.Hour)
		})
		return echo(ctx) // port 7 is taken by now
	})
	var readErr, writeErr error
	err := withConn(w, func(ctx context.Context, c *asyncio.Stream) error {
		w.Reset("client", "server")
		_, readErr = c.ReadLine(ctx)
		_, writeErr = c.Write([]byte("x\n"))
		return nil
	})
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("Run: %v; want the boot function's error, a second listener on :7 refused with EADDRINUSE", err)
	}
	if bindErr != nil {
		t.Errorf("the first listener on :7: %v", bindErr)
	}
	if !errors.Is(readErr, syscall.ECONNRESET) || !errors.Is(writeErr, syscall.ECONNRESET) {
		t.Errorf("after Reset: read %v, write %v; want ECONNRESET for both", readErr, writeErr)
	}
}

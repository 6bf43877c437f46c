package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// loopbacks are the loopback addresses the tests run on; ::1 is skipped
// where the host has no IPv6.
var loopbacks = []struct{ name, network, address string }{
	{"ipv4", "udp4", "127.0.0.1:0"},
	{"ipv6", "udp6", "[::1]:0"},
}

func skipWithout(t *testing.T, network, address string) {
	t.Helper()
	pc, err := net.ListenPacket(network, address)
	if err != nil {
		t.Skipf("no %s loopback: %v", network, err)
	}
	pc.Close()
}

// listen opens a datagram endpoint, failing the test if it cannot, and
// closes it when the test ends.
func listen(ctx context.Context, t *testing.T, network, address string, opts ...asyncio.DatagramOption) *asyncio.Datagram {
	t.Helper()
	d, err := asyncio.ListenDatagram(ctx, network, address, opts...)
	if err != nil {
		t.Fatalf("ListenDatagram: %v", err)
	}
	return d
}

func TestDatagramEcho(t *testing.T) {
	for _, lb := range loopbacks {
		t.Run(lb.name, func(t *testing.T) {
			skipWithout(t, lb.network, lb.address)
			run(t, func(ctx context.Context) (struct{}, error) {
				srv := listen(ctx, t, lb.network, lb.address)
				defer srv.Close()
				cli := listen(ctx, t, lb.network, lb.address)
				defer cli.Close()
				echo := asyncio.CreateTask(ctx, func(ctx context.Context) (net.Addr, error) {
					p, from, err := srv.RecvFrom(ctx)
					if err != nil {
						return nil, err
					}
					return from, srv.SendTo(append([]byte("echo "), p...), from)
				})
				if err := cli.SendTo([]byte("ping"), srv.LocalAddr()); err != nil {
					return struct{}{}, err
				}
				p, from, err := cli.RecvFrom(ctx)
				if err != nil {
					return struct{}{}, err
				}
				if string(p) != "echo ping" || from.String() != srv.LocalAddr().String() {
					t.Errorf("client got %q from %v, want %q from %v", p, from, "echo ping", srv.LocalAddr())
				}
				seen, err := asyncio.Await(ctx, echo)
				if err == nil && seen.String() != cli.LocalAddr().String() {
					t.Errorf("server saw the ping from %v, want %v", seen, cli.LocalAddr())
				}
				return struct{}{}, err
			})
		})
	}
}

func TestDatagramConnected(t *testing.T) {
	for _, lb := range loopbacks {
		t.Run(lb.name, func(t *testing.T) {
			skipWithout(t, lb.network, lb.address)
			run(t, func(ctx context.Context) (struct{}, error) {
				srv := listen(ctx, t, lb.network, lb.address)
				defer srv.Close()
				cli, err := asyncio.DialDatagram(ctx, lb.network, srv.LocalAddr().String())
				if err != nil {
					return struct{}{}, err
				}
				defer cli.Close()
				if got := cli.RemoteAddr(); got == nil || got.String() != srv.LocalAddr().String() {
					t.Errorf("RemoteAddr of the dialled endpoint = %v, want %v", got, srv.LocalAddr())
				}
				if got := srv.RemoteAddr(); got != nil {
					t.Errorf("RemoteAddr of a listening endpoint = %v, want nil", got)
				}
				if err := cli.Send([]byte("hi")); err != nil {
					return struct{}{}, err
				}
				p, from, err := srv.RecvFrom(ctx)
				if err != nil {
					return struct{}{}, err
				}
				if string(p) != "hi" || from.String() != cli.LocalAddr().String() {
					t.Errorf("server got %q from %v, want %q from %v", p, from, "hi", cli.LocalAddr())
				}
				if err := srv.SendTo([]byte("ho"), from); err != nil {
					return struct{}{}, err
				}
				p, from, err = cli.RecvFrom(ctx)
				if err != nil {
					return struct{}{}, err
				}
				if string(p) != "ho" || from.String() != srv.LocalAddr().String() {
					t.Errorf("client got %q from %v, want %q from %v", p, from, "ho", srv.LocalAddr())
				}
				return struct{}{}, nil
			})
		})
	}
}

// TestDatagramSendMisuse checks that sends that cannot be addressed fail
// with an error, and that SendTo a connected endpoint's own peer works.
func TestDatagramSendMisuse(t *testing.T) {
	run(t, func(ctx context.Context) (struct{}, error) {
		srv := listen(ctx, t, "udp4", "127.0.0.1:0")
		defer srv.Close()
		other := listen(ctx, t, "udp4", "127.0.0.1:0")
		defer other.Close()
		cli, err := asyncio.DialDatagram(ctx, "udp4", srv.LocalAddr().String())
		if err != nil {
			return struct{}{}, err
		}
		defer cli.Close()
		cases := []struct {
			name    string
			send    func() error
			wantErr bool
		}{
			{"Send unconnected", func() error { return srv.Send([]byte("x")) }, true},
			{"SendTo nil unconnected", func() error { return srv.SendTo([]byte("x"), nil) }, true},
			{"SendTo another peer when connected", func() error { return cli.SendTo([]byte("x"), other.LocalAddr()) }, true},
			{"SendTo own peer when connected", func() error { return cli.SendTo([]byte("x"), srv.LocalAddr()) }, false},
			{"SendTo nil when connected", func() error { return cli.SendTo([]byte("x"), nil) }, false},
		}
		for _, c := range cases {
			err := c.send()
			if (err != nil) != c.wantErr {
				t.Errorf("%s: error %v, want error: %v", c.name, err, c.wantErr)
			}
			if errors.Is(err, net.ErrClosed) {
				t.Errorf("%s: %v matches net.ErrClosed on an open endpoint", c.name, err)
			}
		}
		return struct{}{}, nil
	})
}

func TestDatagramBadNetwork(t *testing.T) {
	run(t, func(ctx context.Context) (struct{}, error) {
		opens := map[string]func(ctx context.Context, network, address string, opts ...asyncio.DatagramOption) (*asyncio.Datagram, error){
			"ListenDatagram": asyncio.ListenDatagram,
			"DialDatagram":   asyncio.DialDatagram,
		}
		for name, open := range opens {
			d, err := open(ctx, "tcp", "127.0.0.1:0")
			var unknown net.UnknownNetworkError
			if !errors.As(err, &unknown) {
				t.Errorf("%s(tcp) = %v, %v; want a net.UnknownNetworkError", name, d, err)
			}
		}
		return struct{}{}, nil
	})
}

func TestDatagramOutsideTask(t *testing.T) {
	cases := []struct {
		name string
		call func()
	}{
		{"ListenDatagram", func() { asyncio.ListenDatagram(context.Background(), "udp4", "127.0.0.1:0") }},
		{"DialDatagram", func() { asyncio.DialDatagram(context.Background(), "udp4", "127.0.0.1:9") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			panicMatches(t, mustPanic(t, c.call), asyncio.ErrNoRunningLoop, c.name)
		})
	}
}

// TestDatagramRefused checks that a connected endpoint reports a datagram
// refused by its destination as an error of RecvFrom, and goes on working.
func TestDatagramRefused(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("relies on Linux reporting ICMP port unreachable to a connected socket")
	}
	runReal(t, func(ctx context.Context) (struct{}, error) {
		closed := listen(ctx, t, "udp4", "127.0.0.1:0")
		addr := closed.LocalAddr().String()
		closed.Close() // no one listens at addr now
		cli, err := asyncio.DialDatagram(ctx, "udp4", addr)
		if err != nil {
			return struct{}{}, err
		}
		defer cli.Close()
		if err := cli.Send([]byte("anyone?")); err != nil {
			return struct{}{}, err
		}
		bounded, cancel := context.WithTimeout(ctx, time.Minute) // a failure, not a hang
		defer cancel()
		if _, _, err := cli.RecvFrom(bounded); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("RecvFrom after a send to a closed port: %v, want ECONNREFUSED", err)
		}
		if err := cli.Send([]byte("still there")); errors.Is(err, net.ErrClosed) {
			t.Errorf("Send after a refusal: %v; the endpoint must stay open", err)
		}
		return struct{}{}, nil
	})
}

// TestDatagramRecvInterrupted checks that an interrupted RecvFrom returns
// the interruption's error and takes nothing: the datagram that comes next
// goes to the next RecvFrom.
func TestDatagramRecvInterrupted(t *testing.T) {
	own := func(ctx context.Context) (context.Context, context.CancelFunc) { return ctx, func() {} }
	cases := []struct {
		name   string
		derive func(ctx context.Context) (context.Context, context.CancelFunc) // the ctx RecvFrom gets
		cancel bool                                                            // the task cancels that ctx
		task   bool                                                            // the task is cancelled
		want   error
	}{
		{"task cancelled", own, false, true, asyncio.ErrCancelled},
		{"derived ctx cancelled", context.WithCancel, true, false, context.Canceled},
		{"derived ctx deadline", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 10*time.Millisecond)
		}, false, false, context.DeadlineExceeded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runReal(t, func(ctx context.Context) (struct{}, error) {
				srv := listen(ctx, t, "udp4", "127.0.0.1:0")
				defer srv.Close()
				cli := listen(ctx, t, "udp4", "127.0.0.1:0")
				defer cli.Close()
				var cancel context.CancelFunc
				receiver := asyncio.CreateTask(ctx, func(ctx context.Context) ([]byte, error) {
					var rctx context.Context
					rctx, cancel = c.derive(ctx)
					defer cancel()
					p, _, err := srv.RecvFrom(rctx)
					return p, err
				})
				if err := asyncio.Sleep(ctx, 0); err != nil { // the receiver waits now
					return struct{}{}, err
				}
				if c.cancel {
					cancel()
				}
				if c.task {
					receiver.Cancel()
				}
				if p, err := asyncio.Await(ctx, receiver); !errors.Is(err, c.want) {
					t.Errorf("interrupted RecvFrom = %q, %v; want %v", p, err, c.want)
				}
				if err := cli.SendTo([]byte("next"), srv.LocalAddr()); err != nil {
					return struct{}{}, err
				}
				p, _, err := srv.RecvFrom(ctx)
				if string(p) != "next" || err != nil {
					t.Errorf("RecvFrom after the interruption = %q, %v; want %q", p, err, "next")
				}
				return struct{}{}, nil
			})
		})
	}
}

// TestDatagramReceiversInOrder checks that tasks waiting in RecvFrom get
// the datagrams in the order they began to wait. (One sender to one
// receiver on loopback keeps the order of sending.)
func TestDatagramReceiversInOrder(t *testing.T) {
	rec := &recorder{}
	run(t, func(ctx context.Context) (struct{}, error) {
		srv := listen(ctx, t, "udp4", "127.0.0.1:0")
		defer srv.Close()
		cli := listen(ctx, t, "udp4", "127.0.0.1:0")
		defer cli.Close()
		var receivers []asyncio.Waiter
		for _, name := range []string{"r1", "r2", "r3"} {
			receivers = append(receivers, asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
				p, _, err := srv.RecvFrom(ctx)
				rec.add("%s got %s", name, p)
				return struct{}{}, err
			}))
		}
		if err := asyncio.Sleep(ctx, 0); err != nil { // all three wait now
			return struct{}{}, err
		}
		for _, p := range []string{"a", "b", "c"} {
			if err := cli.SendTo([]byte(p), srv.LocalAddr()); err != nil {
				return struct{}{}, err
			}
		}
		_, _, err := asyncio.Wait(ctx, receivers, asyncio.AllCompleted, 0)
		return struct{}{}, err
	})
	rec.check(t, "r1 got a", "r2 got b", "r3 got c")
}

// TestDatagramFlood checks that what arrives while the receive queue is
// full is dropped and counted, and that exactly the queue's bound is kept.
func TestDatagramFlood(t *testing.T) {
	cases := []struct {
		name  string
		opts  []asyncio.DatagramOption
		bound int
	}{
		{"bound 1", []asyncio.DatagramOption{asyncio.WithDatagramQueue(1)}, 1},
		{"bound 8", []asyncio.DatagramOption{asyncio.WithDatagramQueue(8)}, 8},
		{"default bound", nil, 1024},
		{"bound 0 keeps the default", []asyncio.DatagramOption{asyncio.WithDatagramQueue(0)}, 1024},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			runReal(t, func(ctx context.Context) (struct{}, error) {
				srv := listen(ctx, t, "udp4", "127.0.0.1:0", c.opts...)
				defer srv.Close()
				cli := listen(ctx, t, "udp4", "127.0.0.1:0")
				defer cli.Close()
				// Send in bursts, with pauses for the reader, until it has
				// had to drop: nobody receives meanwhile.
				for srv.Dropped() == 0 {
					for range 64 {
						if err := cli.SendTo([]byte("flood"), srv.LocalAddr()); err != nil {
							return struct{}{}, err
						}
					}
					if err := asyncio.Sleep(ctx, time.Millisecond); err != nil {
						return struct{}{}, err
					}
				}
				srv.Close() // what was received stays queued
				n := 0
				for {
					p, _, err := srv.RecvFrom(ctx)
					if err != nil {
						if !errors.Is(err, net.ErrClosed) {
							t.Errorf("RecvFrom at the end of the queue: %v, want net.ErrClosed", err)
						}
						break
					}
					if string(p) != "flood" {
						t.Errorf("RecvFrom = %q, want %q", p, "flood")
					}
					n++
				}
				if n != c.bound {
					t.Errorf("%d datagrams were queued, want the bound, %d (dropped %d)", n, c.bound, srv.Dropped())
				}
				return struct{}{}, nil
			})
		})
	}
}

// TestDatagramClose checks that Close wakes the tasks waiting in RecvFrom,
// and that the endpoint's calls fail with net.ErrClosed afterwards.
func TestDatagramClose(t *testing.T) {
	run(t, func(ctx context.Context) (struct{}, error) {
		d := listen(ctx, t, "udp4", "127.0.0.1:0")
		recv := func(ctx context.Context) (struct{}, error) {
			_, _, err := d.RecvFrom(ctx)
			return struct{}{}, err
		}
		waiters := []*asyncio.Task[struct{}]{asyncio.CreateTask(ctx, recv), asyncio.CreateTask(ctx, recv)}
		if err := asyncio.Sleep(ctx, 0); err != nil { // both wait now
			return struct{}{}, err
		}
		if err := d.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		for i, w := range waiters {
			if _, err := asyncio.Await(ctx, w); !errors.Is(err, net.ErrClosed) {
				t.Errorf("waiter %d: RecvFrom = %v, want net.ErrClosed", i, err)
			}
		}
		after := []struct {
			name string
			err  error
		}{
			{"SendTo", d.SendTo([]byte("x"), d.LocalAddr())},
			{"Send", d.Send([]byte("x"))},
			{"RecvFrom", func() error { _, _, err := d.RecvFrom(ctx); return err }()},
		}
		for _, a := range after {
			if !errors.Is(a.err, net.ErrClosed) {
				t.Errorf("%s after Close: %v, want net.ErrClosed", a.name, a.err)
			}
		}
		if err := d.Close(); err != nil {
			t.Errorf("second Close: %v, want nil", err)
		}
		return struct{}{}, nil
	})
}

// TestDatagramNoLeak checks that endpoints leave no descriptor and no
// goroutine behind, whether they are closed or left open for the loop to
// close.
func TestDatagramNoLeak(t *testing.T) {
	for _, closeThem := range []bool{true, false} {
		t.Run(fmt.Sprintf("closed=%v", closeThem), func(t *testing.T) {
			before := openFDs()
			if before < 0 {
				t.Skip("counts descriptors in /proc/self/fd")
			}
			var ds []*asyncio.Datagram
			run(t, func(ctx context.Context) (struct{}, error) {
				srv := listen(ctx, t, "udp4", "127.0.0.1:0")
				cli, err := asyncio.DialDatagram(ctx, "udp4", srv.LocalAddr().String())
				if err != nil {
					return struct{}{}, err
				}
				ds = append(ds, srv, cli)
				// A task left waiting in RecvFrom: Run cancels it.
				asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
					_, _, err := srv.RecvFrom(ctx)
					return struct{}{}, err
				})
				if err := cli.Send([]byte("x")); err != nil {
					return struct{}{}, err
				}
				if closeThem {
					srv.Close()
					cli.Close()
				}
				return struct{}{}, nil
			})
			for i, d := range ds {
				if err := d.Send([]byte("x")); !errors.Is(err, net.ErrClosed) {
					t.Errorf("endpoint %d after Run: Send = %v, want net.ErrClosed", i, err)
				}
			}
			if after := openFDs(); after != before {
				t.Errorf("%d descriptors open after Run, %d before", after, before)
			}
		})
	}
}

// TestDatagramHoldsVirtualClock checks that an open endpoint counts as I/O
// in flight: the virtual clock does not jump past a datagram that a plain
// goroutine sends a little later, and no deadlock is reported meanwhile.
func TestDatagramHoldsVirtualClock(t *testing.T) {
	cases := []struct {
		name    string
		sleeper bool // a task sleeps an hour meanwhile
		want    []string
	}{
		{"with a timer", true, []string{"got late at 0s", "slept until 1h0m0s"}},
		{"without a timer", false, []string{"got late at 0s"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := &recorder{}
			run(t, func(ctx context.Context) (struct{}, error) {
				srv := listen(ctx, t, "udp4", "127.0.0.1:0")
				defer srv.Close()
				var sleeper *asyncio.Task[struct{}]
				if c.sleeper {
					sleeper = asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
						err := asyncio.Sleep(ctx, time.Hour)
						rec.add("slept until %s", now(ctx))
						return struct{}{}, err
					})
				}
				var wg sync.WaitGroup
				wg.Go(func() {
					time.Sleep(20 * time.Millisecond) // the loop is idle by then, as a rule
					c, err := net.Dial("udp4", srv.LocalAddr().String())
					if err != nil {
						t.Error(err)
						return
					}
					defer c.Close()
					if _, err := c.Write([]byte("late")); err != nil {
						t.Error(err)
					}
				})
				p, _, err := srv.RecvFrom(ctx)
				wg.Wait() // done sending, or about to be
				if err != nil {
					return struct{}{}, err
				}
				rec.add("got %s at %s", p, now(ctx))
				srv.Close() // lets the clock move
				if sleeper != nil {
					_, err = asyncio.Await(ctx, sleeper)
				}
				return struct{}{}, err
			})
			rec.check(t, c.want...)
		})
	}
}

// BenchmarkDatagramEcho measures a round trip of a 64-byte datagram over
// loopback between two endpoints of one loop: a connected client and an
// echoing server task.
func BenchmarkDatagramEcho(b *testing.B) {
	_, err := asyncio.Run(func(ctx context.Context) (struct{}, error) {
		srv, err := asyncio.ListenDatagram(ctx, "udp4", "127.0.0.1:0")
		if err != nil {
			return struct{}{}, err
		}
		defer srv.Close()
		cli, err := asyncio.DialDatagram(ctx, "udp4", srv.LocalAddr().String())
		if err != nil {
			return struct{}{}, err
		}
		defer cli.Close()
		asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
			for {
				p, from, err := srv.RecvFrom(ctx)
				if err != nil {
					return struct{}{}, err
				}
				if err := srv.SendTo(p, from); err != nil {
					return struct{}{}, err
				}
			}
		})
		msg := make([]byte, 64)
		for b.Loop() {
			if err := cli.Send(msg); err != nil {
				return struct{}{}, err
			}
			if _, _, err := cli.RecvFrom(ctx); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

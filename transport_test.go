//go:build linux

package asyncio_test

import (
	"context"
	"net"
	"runtime"
	"testing"

	"github.com/goasyncio/asyncio"
)

// TestStreamsOverGoroutines runs the stream tests again with the
// goroutine transport, which TLS, pipes and other systems use, so that it
// is tested over plain sockets on Linux too.
func TestStreamsOverGoroutines(t *testing.T) {
	restore := asyncio.UseGoroutineStreams()
	defer restore()
	for name, test := range map[string]func(*testing.T){
		"Echo": TestStreamEcho, "Reads": TestStreamReads,
		"InterruptedReadLosesNothing": TestStreamInterruptedReadLosesNothing,
		"DrainWaitsForThePeer":        TestStreamDrainWaitsForThePeer,
		"WriteEOF":                    TestStreamWriteEOF, "MaxConns": TestServerMaxConns,
		"LoopClosesWhatIsLeftOpen": TestLoopClosesWhatIsLeftOpen,
		"UnixSocket":               TestStreamUnixSocket, "Faults": TestStreamFaults,
		"StartTLS": TestStreamStartTLS, "ConnDeadline": TestStreamConnDeadline,
	} {
		t.Run(name, test)
	}
}

// TestPolledStreamsHoldNoGoroutine checks the point of the loop's poller:
// an open connection costs no goroutine.
func TestPolledStreamsHoldNoGoroutine(t *testing.T) {
	const conns = 50
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, conns)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	grew := runReal(t, func(ctx context.Context) (int, error) {
		before := runtime.NumGoroutine()
		var streams []*asyncio.Stream
		for range conns {
			s, err := asyncio.OpenConnection(ctx, "tcp", ln.Addr().String())
			if err != nil {
				return 0, err
			}
			streams = append(streams, s)
		}
		// The dials' goroutines are gone once their results are in.
		grew := runtime.NumGoroutine() - before
		for _, s := range streams {
			s.Close()
		}
		for range conns {
			(<-accepted).Close()
		}
		return grew, nil
	})
	if grew >= conns {
		t.Errorf("%d open connections added %d goroutines; polled connections should add none", conns, grew)
	}
}

// TestBusyLoopServesConnections checks that a loop kept busy by a task
// that never lets it idle still reads its connections: the poller is
// looked at every iteration, not only when the loop sleeps.
func TestBusyLoopServesConnections(t *testing.T) {
	got := runReal(t, func(ctx context.Context) (string, error) {
		done := false
		busy := asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
			for !done {
				if err := asyncio.Sleep(ctx, 0); err != nil {
					return struct{}{}, err
				}
			}
			return struct{}{}, nil
		})
		_, addr := echoServer(t, ctx)
		c, err := asyncio.OpenConnection(ctx, "tcp", addr)
		if err != nil {
			return "", err
		}
		defer c.Close()
		c.Write([]byte("ping\n"))
		line, err := c.ReadLine(ctx)
		done = true
		if _, err := asyncio.Await(ctx, busy); err != nil {
			return "", err
		}
		return string(line), err
	})
	if got != "ping\n" {
		t.Errorf("echo = %q, want %q", got, "ping\n")
	}
}

// TestThreadsafeCallWakesAPollingLoop checks that a loop asleep in its
// poller wakes for CallSoonThreadsafe, as work handed back by ToThread.
func TestThreadsafeCallWakesAPollingLoop(t *testing.T) {
	got := runReal(t, func(ctx context.Context) (int, error) {
		_, addr := echoServer(t, ctx) // the loop polls from now on
		c, err := asyncio.OpenConnection(ctx, "tcp", addr)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		sum := 0
		for i := range 20 {
			v, err := asyncio.ToThread(ctx, func() (int, error) { return i, nil })
			if err != nil {
				return 0, err
			}
			sum += v
		}
		return sum, nil
	})
	if got != 190 {
		t.Errorf("sum of the threads' results = %d, want 190", got)
	}
}

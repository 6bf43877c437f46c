// Command echoserver is the Go side of the echo benchmarks (E10, E100): a
// TCP server that writes back every byte it reads, as it comes, on each
// connection, with goasyncio's streams or with plain goroutines. bench/run
// starts it as a process of its own, points bench/cmd/echoclient at it, and
// stops it by its process ID, as it does the Python and Node.js servers.
//
// Usage:
//
//	echoserver [-impl asyncio|go] [-addr 127.0.0.1:0]
//
// Once listening, it prints one line on standard output: the address, a
// space, and in a few words how it echoes. It serves until it is killed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/goasyncio/asyncio"
)

// readSize is the most one read takes, in every server of the benchmark.
const readSize = 64 << 10

// impls are the servers by -impl, with what each prints as its impl.
var impls = map[string]struct {
	serve func(addr string, ready func(net.Addr)) error
	desc  string
}{
	"asyncio": {serveAsyncio, "goasyncio streams: StartServer, a task per connection: Read, Write, Drain"},
	"go":      {serveGo, "a goroutine per connection: net.Conn Read, Write"},
}

func main() {
	impl := flag.String("impl", "asyncio", "the server: asyncio (goasyncio streams) or go (plain goroutines)")
	addr := flag.String("addr", "127.0.0.1:0", "the loopback address to listen on")
	flag.Parse()
	s, ok := impls[*impl]
	if !ok || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: echoserver [-impl asyncio|go] [-addr 127.0.0.1:0]")
		os.Exit(2)
	}
	// The line bench/run waits for.
	ready := func(a net.Addr) { fmt.Printf("%s %s\n", a, s.desc) }
	if err := s.serve(*addr, ready); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}

// serveAsyncio serves with goasyncio: StartServer runs echoStream as a task
// for each connection, all on one loop. It calls ready once listening.
func serveAsyncio(addr string, ready func(net.Addr)) error {
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		srv, err := asyncio.StartServer(ctx, "tcp", addr, echoStream)
		if err != nil {
			return 0, err
		}
		ready(srv.Addrs()[0])
		return 0, srv.ServeForever(ctx)
	})
	return err
}

// echoStream writes back what it reads until the client closes. It reuses
// its buffer: Write keeps no reference to it (what the socket does not take
// at once is copied, as StreamWriter.write does), and were that to change,
// the client's check of every echo would fail the run.
func echoStream(ctx context.Context, s *asyncio.Stream) error {
	buf := make([]byte, readSize)
	for {
		n, err := s.Read(ctx, buf)
		if errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := s.Write(buf[:n]); err != nil {
			return err
		}
		if err := s.Drain(ctx); err != nil {
			return err
		}
	}
}

// serveGo serves with a goroutine per connection, the plain-Go floor. It
// calls ready once listening.
func serveGo(addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ready(ln.Addr())
	for {
		conn, err := ln.Accept()
		if err != nil {
			return err
		}
		go echoConn(conn)
	}
}

// echoConn writes back what it reads until the client closes. It does not
// use io.Copy, which on Linux would splice the bytes through a pipe in the
// kernel: the loop is what a server that looks at its input does.
func echoConn(conn net.Conn) {
	defer conn.Close()
	buf := make([]byte, readSize)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			if _, werr := conn.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

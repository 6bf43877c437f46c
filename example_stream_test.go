package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/goasyncio/asyncio"
)

// An echo server and its client: each connection is handled by a task of
// its own, which reads lines and writes them back; the client writes, and
// reads the answers, in the same loop.
func ExampleStartServer() {
	asyncio.Run(func(ctx context.Context) (int, error) {
		echo := func(ctx context.Context, s *asyncio.Stream) error {
			for {
				line, err := s.ReadLine(ctx)
				if errors.Is(err, io.EOF) {
					return nil // the client is done
				} else if err != nil {
					return err
				}
				s.Write(line)
				if err := s.Drain(ctx); err != nil {
					return err
				}
			}
		}
		srv, err := asyncio.StartServer(ctx, "tcp", "127.0.0.1:0", echo)
		if err != nil {
			return 0, err
		}
		defer srv.Close()

		c, err := asyncio.OpenConnection(ctx, "tcp", srv.Addrs()[0].String())
		if err != nil {
			return 0, err
		}
		defer c.Close()
		for _, msg := range []string{"hello", "world"} {
			c.Write([]byte(msg + "\n"))
			reply, err := c.ReadLine(ctx)
			if err != nil {
				return 0, err
			}
			fmt.Printf("echo: %s", reply)
		}
		return 0, nil
	})
	// Output:
	// echo: hello
	// echo: world
}

// A line-based chat: every line a client sends goes to every other client.
// The server's state, the set of connected clients, is shared by the
// handler tasks without a lock, as they all run on one loop.
func ExampleStartServer_chat() {
	asyncio.Run(func(ctx context.Context) (int, error) {
		clients := map[*asyncio.Stream]string{}
		var joined asyncio.Queue[string]
		handler := func(ctx context.Context, s *asyncio.Stream) error {
			name, err := s.ReadLine(ctx)
			if err != nil {
				return err
			}
			clients[s] = strings.TrimSpace(string(name))
			defer delete(clients, s)
			joined.Put(ctx, clients[s])
			for {
				line, err := s.ReadLine(ctx)
				if err != nil {
					return nil // gone
				}
				for other := range clients {
					if other != s {
						fmt.Fprintf(other.Conn(ctx), "%s: %s", clients[s], line)
					}
				}
			}
		}
		srv, err := asyncio.StartServer(ctx, "tcp", "127.0.0.1:0", handler)
		if err != nil {
			return 0, err
		}
		defer srv.Close()
		addr := srv.Addrs()[0].String()

		join := func(name string) *asyncio.Stream {
			c, err := asyncio.OpenConnection(ctx, "tcp", addr)
			if err != nil {
				panic(err)
			}
			c.Write([]byte(name + "\n"))
			return c
		}
		ann, bob := join("ann"), join("bob")
		defer ann.Close()
		defer bob.Close()
		joined.Get(ctx) // both have joined once the server has their names
		joined.Get(ctx)
		ann.Write([]byte("hi bob\n"))
		heard, _ := bob.ReadLine(ctx)
		fmt.Print("bob heard ", string(heard))
		bob.Write([]byte("hi ann\n"))
		heard, _ = ann.ReadLine(ctx)
		fmt.Print("ann heard ", string(heard))
		return 0, nil
	})
	// Output:
	// bob heard ann: hi bob
	// ann heard bob: hi ann
}

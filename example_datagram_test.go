package asyncio_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/goasyncio/asyncio"
)

// A UDP echo on loopback between two tasks: the server task answers each
// datagram with its upper-case form, and the main task sends three and
// prints the replies. Nothing here blocks the loop: each task waits in
// RecvFrom while the other runs.
func ExampleListenDatagram() {
	_, err := asyncio.Run(func(ctx context.Context) (struct{}, error) {
		server, err := asyncio.ListenDatagram(ctx, "udp", "127.0.0.1:0")
		if err != nil {
			return struct{}{}, err
		}
		defer server.Close()
		asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
			for {
				p, from, err := server.RecvFrom(ctx)
				if err != nil {
					return struct{}{}, err // cancelled when main returns
				}
				if err := server.SendTo([]byte(strings.ToUpper(string(p))), from); err != nil {
					return struct{}{}, err
				}
			}
		})

		client, err := asyncio.DialDatagram(ctx, "udp", server.LocalAddr().String())
		if err != nil {
			return struct{}{}, err
		}
		defer client.Close()
		for _, word := range []string{"hello", "datagram", "world"} {
			if err := client.Send([]byte(word)); err != nil {
				return struct{}{}, err
			}
			reply, _, err := client.RecvFrom(ctx)
			if err != nil {
				return struct{}{}, err
			}
			fmt.Printf("%s -> %s\n", word, reply)
		}
		return struct{}{}, nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// hello -> HELLO
	// datagram -> DATAGRAM
	// world -> WORLD
}

package sim_test

import (
	"context"
	"testing"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/sim"
)

// BenchmarkMessageDelivery measures a simulated message from one host to
// another, from the writer's Write to the reader's ReadLine: the client
// and the echo server ping-pong a short line, two messages a round trip.
func BenchmarkMessageDelivery(b *testing.B) {
	w := sim.New(1)
	w.Host("server").Boot(echo)
	client := w.Host("client")
	rounds := 0
	err := w.Run(func(ctx context.Context) error {
		_, err := asyncio.Await(ctx, client.Go(ctx, func(ctx context.Context) error {
			c, err := asyncio.OpenConnection(ctx, "tcp", "server:7")
			if err != nil {
				return err
			}
			defer c.Close()
			line := []byte("ping\n")
			for b.Loop() {
				c.Write(line)
				if _, err := c.ReadLine(ctx); err != nil {
					return err
				}
				rounds++
			}
			return nil
		}))
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*rounds), "ns/msg")
}

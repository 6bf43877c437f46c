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
	rounds := 0
	err := withConn(w, func(ctx context.Context, c *asyncio.Stream) error {
		line := []byte("ping\n")
		for b.Loop() {
			c.Write(line)
			if _, err := c.ReadLine(ctx); err != nil {
				return err
			}
			rounds++
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*rounds), "ns/msg")
}

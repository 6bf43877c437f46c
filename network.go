package asyncio

import (
	"context"
	"io"
	"net"

	"github.com/goasyncio/asyncio/internal/waitq"
)

// The loop opens connections and listeners through a network, so that a
// simulated one can stand in for the operating system's; for now there is
// only the real one. Every stream, server and endpoint the loop opens is
// also tracked, so that Close shuts what was left open and no goroutine of
// theirs outlives the loop.

// A network dials and listens for the loop.
type network interface {
	dial(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error)
	listen(ctx context.Context, network, address string) (net.Listener, error)
}

// realNetwork is the operating system's network.
type realNetwork struct{}

func (realNetwork) dial(ctx context.Context, d *net.Dialer, network, address string) (net.Conn, error) {
	return d.DialContext(ctx, network, address)
}

func (realNetwork) listen(ctx context.Context, network, address string) (net.Listener, error) {
	var lc net.ListenConfig
	return lc.Listen(ctx, network, address)
}

// network returns the loop's network.
func (l *Loop) network() network {
	if l.net == nil {
		return realNetwork{}
	}
	return l.net
}

// track records an open resource that Close must close if it is still
// open then; the resource calls untrack when it closes itself.
func (l *Loop) track(c io.Closer) *waitq.Node[io.Closer] {
	return l.resources.PushBack(c)
}

func (l *Loop) untrack(n *waitq.Node[io.Closer]) { l.resources.Remove(n) }

// closeResources closes what is still open, as the loop closes.
func (l *Loop) closeResources() {
	var open []io.Closer
	for n := l.resources.Front(); n != nil; n = n.Next() {
		open = append(open, n.Value)
	}
	for _, c := range open {
		c.Close()
	}
}

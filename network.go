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

// awaitGoroutine runs fn, a call that blocks (a dial, a handshake), on a
// goroutine of its own, counted as I/O in flight, and suspends the task
// owning ctx until it returns: the loop is never blocked. If the task stops
// waiting first, or the loop closes before it takes the result, a value fn
// returned without error goes to discard, so that nothing fn opened leaks.
func awaitGoroutine[T any](ctx context.Context, l *Loop, fn func() (T, error), discard func(T)) (T, error) {
	f := CreateFuture[T](ctx)
	l.addExternal()
	go func() {
		v, err := fn()
		drop := func() {
			if err == nil {
				discard(v)
			}
		}
		deliver := func() {
			l.doneExternal()
			switch {
			case f.Done(): // the task stopped waiting
				drop()
			case err != nil:
				f.SetException(err)
			default:
				f.SetResult(v)
			}
		}
		if l.callSoonThreadsafeOrDrop(deliver, drop) != nil {
			drop() // the loop is closed
		}
	}()
	return Await(ctx, f)
}

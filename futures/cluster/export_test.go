package cluster

import (
	"time"

	"github.com/goasyncio/asyncio/futures"
)

// CallJSON makes a call of the function registered under name with arg
// as its JSON, so that tests can send what a correct caller never does.
func CallJSON[R any](e *Executor, name string, arg []byte) *futures.Future[R] {
	return callJSON[R](e, name, arg)
}

// Connected reports whether e's connection is up.
func Connected(e *Executor) bool { return e.nc.IsConnected() }

// SetDrainWait sets how long a stopping worker waits for the server, and
// returns what restores it.
func SetDrainWait(d time.Duration) (restore func()) {
	old := drainWait
	drainWait = d
	return func() { drainWait = old }
}

package cluster_test

import (
	"os"
	"testing"

	"github.com/goasyncio/asyncio/internal/natsserver"
)

// serverEnv names the variable that makes the tests run against a
// nats-server binary (Debian's, in CI) instead of the embedded server: the
// path of the binary.
const serverEnv = "GOASYNCIO_NATS_SERVER"

// A natsServer is a NATS server with JetStream on a loopback port, its
// store in a temporary directory: embedded in the test binary, or a
// process of the binary that serverEnv names. It can be stopped and
// started again on the same port with the same store.
type natsServer struct {
	t   *testing.T
	dir string
	*natsserver.Server
}

// startServer starts a server that the test's cleanup stops.
func startServer(t *testing.T) *natsServer {
	t.Helper()
	s := &natsServer{t: t, dir: t.TempDir()}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start starts the server, on the port it had if it ran before.
func (s *natsServer) start() {
	s.t.Helper()
	port := 0
	if s.Server != nil {
		port = s.Port()
	}
	srv, err := natsserver.Start(os.Getenv(serverEnv), s.dir, port)
	if err != nil {
		s.t.Fatal(err)
	}
	s.Server = srv
}

// stop kills the server, as a crash would, and waits for it to be gone.
// Stopping a stopped server does nothing.
func (s *natsServer) stop() { s.Kill() }

// restart kills the server and starts it again on the same port.
func (s *natsServer) restart() {
	s.t.Helper()
	if err := s.Restart(); err != nil {
		s.t.Fatal(err)
	}
}

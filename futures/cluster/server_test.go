package cluster_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
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
	t     *testing.T
	dir   string
	port  int
	embed *server.Server
	cmd   *exec.Cmd
}

// startServer starts a server that the test's cleanup stops.
func startServer(t *testing.T) *natsServer {
	t.Helper()
	s := &natsServer{t: t, dir: t.TempDir()}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// URL is where clients connect.
func (s *natsServer) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

func (s *natsServer) start() {
	s.t.Helper()
	if bin := os.Getenv(serverEnv); bin != "" {
		s.startProcess(bin)
		return
	}
	port := s.port
	if port == 0 {
		port = -1 // any free port; the restarts keep it
	}
	opts := &server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: s.dir, NoSigs: true, NoLog: true}
	srv, err := server.NewServer(opts)
	if err != nil {
		s.t.Fatal(err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		s.t.Fatal("embedded nats-server did not start")
	}
	s.embed, s.port = srv, srv.Addr().(*net.TCPAddr).Port
}

var listening = regexp.MustCompile(`Listening for client connections on 127\.0\.0\.1:(\d+)`)

// startProcess starts the nats-server binary and waits for its log to say
// which port it listens on.
func (s *natsServer) startProcess(bin string) {
	s.t.Helper()
	port := s.port
	if port == 0 {
		port = -1
	}
	s.cmd = exec.Command(bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", filepath.Join(s.dir, "store"))
	out, err := s.cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			s.port, _ = strconv.Atoi(m[1])
			go drain(lines)
			s.waitReady()
			return
		}
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	s.t.Fatalf("%s exited without listening", bin)
}

// drain reads the rest of the server's log, so that it never blocks.
func drain(lines *bufio.Scanner) {
	for lines.Scan() {
	}
}

// waitReady waits until the server's JetStream answers; the log line comes
// a moment before.
func (s *natsServer) waitReady() {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", s.port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	s.t.Fatal("nats-server does not accept connections")
}

// stop stops the server, the process by its PID, and waits for it to be
// gone. Stopping a stopped server does nothing.
func (s *natsServer) stop() {
	switch {
	case s.embed != nil:
		s.embed.Shutdown()
		s.embed.WaitForShutdown()
		s.embed = nil
	case s.cmd != nil:
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// restart stops the server and starts it again on the same port.
func (s *natsServer) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}

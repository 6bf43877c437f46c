// Package natsserver starts a NATS server with JetStream on a loopback
// port, for the tests and the example of package futures/cluster: a
// nats-server binary (Debian's, in CI) as a child process, or the server
// of github.com/nats-io/nats-server/v2 embedded in the calling program.
package natsserver

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// A Server is a running NATS server on 127.0.0.1.
type Server struct {
	bin     string
	dir     string
	port    int
	version string
	embed   *server.Server
	cmd     *exec.Cmd
	exited  chan struct{} // closed once cmd is reaped
}

// startTimeout bounds how long a server may take to listen.
const startTimeout = 10 * time.Second

// Start starts a server with JetStream that keeps its store under dir and
// listens on 127.0.0.1:port, any free port if port is 0: the binary bin
// as a child process, or, if bin is "", a server embedded in this program.
// It returns once the server accepts connections.
func Start(bin, dir string, port int) (*Server, error) {
	s := &Server{bin: bin, dir: dir, port: port}
	if bin == "" {
		return s, s.startEmbedded()
	}
	return s, s.startProcess()
}

// URL is where clients connect.
func (s *Server) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// Port is the port the server listens on.
func (s *Server) Port() int { return s.port }

// PID is the process ID of a server that runs as a child process, and 0
// for an embedded one.
func (s *Server) PID() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Version says which server this is, such as "nats-server 2.9.10".
func (s *Server) Version() string {
	if s.embed != nil {
		return "embedded nats-server " + s.version
	}
	return "nats-server " + s.version
}

func (s *Server) startEmbedded() error {
	port := s.port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{Host: "127.0.0.1", Port: port, JetStream: true, StoreDir: s.dir, NoSigs: true, NoLog: true}
	srv, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("natsserver: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(startTimeout) {
		srv.Shutdown()
		return errors.New("natsserver: the embedded server did not start")
	}
	s.embed, s.port, s.version = srv, srv.Addr().(*net.TCPAddr).Port, server.VERSION
	return nil
}

var (
	listening  = regexp.MustCompile(`Listening for client connections on 127\.0\.0\.1:(\d+)`)
	versionLog = regexp.MustCompile(`Version:\s+(\S+)`)
)

// startProcess starts the binary and reads its log for its version and
// the port it listens on.
func (s *Server) startProcess() error {
	port := s.port
	if port == 0 {
		port = -1 // the server picks a free one
	}
	s.cmd = exec.Command(s.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", s.dir)
	out, err := s.cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("natsserver: %w", err)
	}
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("natsserver: %w", err)
	}
	s.exited = make(chan struct{})
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		if m := versionLog.FindStringSubmatch(lines.Text()); m != nil {
			s.version = m[1]
		}
		if m := listening.FindStringSubmatch(lines.Text()); m != nil {
			s.port, _ = strconv.Atoi(m[1])
			go s.reap(lines)
			return s.waitAccepting()
		}
	}
	s.cmd.Process.Kill()
	s.cmd.Wait()
	return fmt.Errorf("natsserver: %s exited without listening on 127.0.0.1", s.bin)
}

// reap reads the rest of the server's log, so that the server never blocks
// writing it, and reaps the process once it exits.
func (s *Server) reap(lines *bufio.Scanner) {
	for lines.Scan() {
	}
	s.cmd.Wait()
	close(s.exited)
}

// waitAccepting waits until the port accepts connections; the log line
// comes a moment before.
func (s *Server) waitAccepting() error {
	for deadline := time.Now().Add(startTimeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))); err == nil {
			c.Close()
			return nil
		}
	}
	s.Kill()
	return errors.New("natsserver: the server does not accept connections")
}

// Stop stops the server cleanly, a child process by SIGTERM, and waits for
// it to be gone; a process that has not exited after a few seconds is
// killed. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(5 * time.Second):
		}
	}
	s.Kill()
}

// Kill stops the server at once, as a crash does: a child process by
// SIGKILL. It waits for the server to be gone. Killing a stopped server
// does nothing.
func (s *Server) Kill() {
	switch {
	case s.embed != nil:
		s.embed.Shutdown()
		s.embed.WaitForShutdown()
		s.embed = nil
	case s.cmd != nil:
		s.cmd.Process.Kill()
		<-s.exited
		s.cmd = nil
	}
}

// Restart kills the server and starts it again on the same port with the
// same store.
func (s *Server) Restart() error {
	s.Kill()
	if s.bin == "" {
		return s.startEmbedded()
	}
	return s.startProcess()
}

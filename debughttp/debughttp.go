// Package debughttp serves the live task trees of every asyncio loop of a
// process over HTTP, for cmd/asyncio-ps and for a browser: the counterpart
// of Python's `python -m asyncio ps`, which a Go program opts into with one
// call.
//
//	srv, err := debughttp.Listen("127.0.0.1:0")
//	if err != nil { ... }
//	defer srv.Close()
//	log.Printf("task dumps at http://%s/", srv.Addr())
//
// The server only reads: it shows each loop's tasks, what each awaits, and
// where, never changes anything. It listens on a loopback address, and
// answers only requests for a loopback host (see NewHandler), unless the
// program asks for more with AllowRemote, since task names and positions
// may say more than a program means to publish.
//
// # Endpoints
//
// GET / serves a text dump of every loop, as asyncio.Loop.DumpTasks prints
// it; GET /?format=json, or a request that accepts application/json,
// serves the same as a JSON array of asyncio.LoopInfo.
//
// A dump shows at most 10,000 tasks of each loop, the oldest, and says how
// many more there are: taking tasks holds the loop, so a request must not
// hold a loop with a great many for long. GET /?limit=N shows at most N
// tasks of each loop (0 shows the counts only), and ?limit=all shows all.
//
// Requests for the same dump that come together share it, and a request
// whose client has gone is dropped, so that a loop is not held up for
// nobody (see asyncio.Loop.Snapshot).
//
// # Finding the server
//
// Listen records the server's address in AddrFile(os.Getpid()), a file in
// a directory private to the user, where asyncio-ps finds it from the
// process ID; ReadAddrFile reads it back, refusing a file that someone else
// could have planted.
package debughttp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/goasyncio/asyncio"
)

// ErrNotLoopback is returned by Listen for an address that is not on the
// loopback interface, unless AllowRemote is given.
var ErrNotLoopback = errors.New("debughttp: refusing to listen on a non-loopback address (use AllowRemote to mean it)")

// snapshotTimeout bounds how long a request waits for each loop.
const snapshotTimeout = time.Second

// Snapshot takes the snapshot of every loop of the process, waiting at most
// a second for each; errs[i] says why infos[i] has no tasks, if a loop did
// not answer.
func Snapshot(ctx context.Context) (infos []asyncio.LoopInfo, errs []error) {
	return SnapshotN(ctx, -1)
}

// SnapshotN is Snapshot, but holds at most the n oldest tasks of each loop,
// or all of them if n < 0 (see asyncio.Loop.SnapshotN).
func SnapshotN(ctx context.Context, n int) (infos []asyncio.LoopInfo, errs []error) {
	for _, l := range asyncio.Loops() {
		ctx, cancel := context.WithTimeout(ctx, snapshotTimeout)
		info, err := l.SnapshotN(ctx, n)
		cancel()
		infos = append(infos, info)
		errs = append(errs, err)
	}
	return infos, errs
}

// Format renders snapshots as text: a heading per loop, then its task tree,
// then how many tasks the snapshot left out.
func Format(infos []asyncio.LoopInfo, errs []error) string {
	if len(infos) == 0 {
		return "no asyncio loops\n"
	}
	var b strings.Builder
	for i, info := range infos {
		total := max(info.Total, len(info.Tasks)) // Total is 0 in a LoopInfo made without it
		state := "not running"
		if info.Running {
			state = fmt.Sprintf("running, %d tasks", total)
		}
		clock := "time"
		if info.Virtual {
			clock = "virtual time"
		}
		fmt.Fprintf(&b, "loop %d (%s, %s %v)\n", info.ID, state, clock, info.Time.Round(time.Millisecond))
		if i < len(errs) && errs[i] != nil {
			fmt.Fprintf(&b, "  %v\n", errs[i])
		}
		tree := asyncio.FormatTasks(info.Tasks)
		b.Grow(len(tree) + 2*len(info.Tasks))
		for line := range strings.Lines(tree) {
			b.WriteString("  ")
			b.WriteString(line)
		}
		switch hidden := total - len(info.Tasks); {
		case hidden == 1:
			b.WriteString("  (1 more task not shown)\n")
		case hidden > 1:
			fmt.Fprintf(&b, "  (%d more tasks not shown)\n", hidden)
		}
	}
	return b.String()
}

// A Server serves Handler on a listener. Make one with Listen.
type Server struct {
	srv *http.Server
	ln  net.Listener

	addrFile    string // what AddrFile returns
	addrFileErr error  // why Listen wrote none
}

// An Option configures Listen or NewHandler.
type Option interface{ apply(*config) }

type config struct{ remote bool }

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o.apply(&c)
	}
	return c
}

// AllowRemote lets Listen use an address that is not on the loopback
// interface, and lets the handler of Listen and NewHandler answer requests
// for any host (see NewHandler). Protect such a server by other means: it
// serves anyone who reaches it.
func AllowRemote() Option { return optionFunc(func(c *config) { c.remote = true }) }

// Listen starts serving the task dumps on addr ("127.0.0.1:0" picks a free
// port) and returns the running server. It returns ErrNotLoopback for an
// address other programs could reach, unless AllowRemote is given.
//
// Listen also records the address in AddrFile(os.Getpid()), so that
// asyncio-ps can find the server from the process ID, and Close removes the
// file. Listen makes the file afresh, replacing one that an earlier process
// with the same ID or an earlier Listen left (the file names the server
// started last), and never writes through a file or link that another user
// planted. The file is a convenience: if it cannot be written safely, the
// server runs without it and its AddrFile method says why.
func Listen(addr string, opts ...Option) (*Server, error) {
	c := newConfig(opts)
	if !c.remote && !isLoopback(addr) {
		return nil, fmt.Errorf("%w: %q", ErrNotLoopback, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("debughttp: %w", err)
	}
	s := &Server{srv: &http.Server{Handler: NewHandler(opts...), ReadHeaderTimeout: 5 * time.Second}, ln: ln}
	path := AddrFile(os.Getpid())
	if s.addrFileErr = recordAddr(s, path); s.addrFileErr == nil {
		s.addrFile = path
	}
	go s.srv.Serve(ln)
	return s, nil
}

// AddrFile returns the file in which Listen recorded the server's address,
// or the reason it recorded none.
func (s *Server) AddrFile() (string, error) { return s.addrFile, s.addrFileErr }

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server and removes its address file, unless a later
// Listen of the process has replaced it.
func (s *Server) Close() error {
	if s.addrFile != "" {
		removeAddr(s, s.addrFile)
	}
	return s.srv.Close()
}

// isLoopback reports whether addr's host is a loopback name or address.
func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && loopbackHost(host)
}

package debughttp

// The handler: who it answers, and how requests that come together share
// one dump. Listen and the Server are in debughttp.go.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// defaultLimit is how many tasks of each loop a request gets unless it asks
// for another number: more than a person reads, few enough that copying
// them holds the loop for about a millisecond.
const defaultLimit = 10_000

// Handler returns NewHandler(): a handler that serves the task dumps of
// every loop of the process to requests for loopback hosts only.
func Handler() http.Handler {
	return NewHandler()
}

// NewHandler returns a handler that serves the task dumps of every loop of
// the process (see the package doc). It answers only requests whose Host
// header names the loopback interface, "localhost" or a loopback IP address,
// with or without a port, and refuses others with 403 Forbidden: otherwise a
// web page the user visits could point a name of its own at 127.0.0.1 (DNS
// rebinding) and read the dumps. With AllowRemote, for a handler served on
// other interfaces, it answers requests for any host.
func NewHandler(opts ...Option) http.Handler {
	return &handler{config: newConfig(opts)}
}

type handler struct {
	config
	mu    sync.Mutex
	dumps map[dumpKey]*dump // the dumps being made, for the requests that wait
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.remote && !isLoopbackHost(r.Host) {
		msg := fmt.Sprintf("debughttp: %q is not a loopback host: task dumps are served only to requests for localhost or a loopback address (see AllowRemote)", r.Host)
		http.Error(w, msg, http.StatusForbidden)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "debughttp: read-only: only GET is served", http.StatusMethodNotAllowed)
		return
	}
	limit, err := parseLimit(r.URL.Query().Get("limit"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := dumpKey{limit: limit}
	key.json = r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
	body, err := h.dump(r.Context(), key)
	if err != nil {
		return // the client has gone
	}
	if key.json {
		w.Header().Set("Content-Type", "application/json")
	} else {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	}
	w.Write(body)
}

// A dumpKey is what a request asks for.
type dumpKey struct {
	json  bool
	limit int // -1 for all tasks
}

// A dump is a response being made for the requests that wait for it.
// Requests that ask for the same while it is being made share it: with a
// great many tasks, making a dump takes enough memory and processor time
// that a few dozen made at once starve the loops they are about.
type dump struct {
	done    chan struct{} // closed once body is set
	body    []byte
	cancel  context.CancelFunc
	waiters int // guarded by handler.mu
}

// dump returns the dump for key, waiting for the one being made or making
// one, unless ctx is done first.
func (h *handler) dump(ctx context.Context, key dumpKey) ([]byte, error) {
	h.mu.Lock()
	d := h.dumps[key]
	if d == nil {
		d = h.start(key)
	}
	d.waiters++
	h.mu.Unlock()
	select {
	case <-d.done:
		return d.body, nil
	case <-ctx.Done():
		h.mu.Lock()
		if d.waiters--; d.waiters == 0 {
			d.cancel() // the loops then skip the snapshots that nobody reads
			h.forget(key, d)
		}
		h.mu.Unlock()
		return nil, ctx.Err()
	}
}

// start makes the dump for key on a goroutine of its own, so that no one
// request's going away cuts it short for the others. h.mu must be held.
func (h *handler) start(key dumpKey) *dump {
	ctx, cancel := context.WithCancel(context.Background())
	d := &dump{done: make(chan struct{}), cancel: cancel}
	if h.dumps == nil {
		h.dumps = make(map[dumpKey]*dump)
	}
	h.dumps[key] = d
	go func() {
		defer cancel()
		d.body = render(ctx, key)
		h.mu.Lock()
		h.forget(key, d)
		h.mu.Unlock()
		close(d.done)
	}()
	return d
}

// forget removes d from the dumps being made. h.mu must be held.
func (h *handler) forget(key dumpKey, d *dump) {
	if h.dumps[key] == d {
		delete(h.dumps, key)
	}
}

// render makes the dump for key.
func render(ctx context.Context, key dumpKey) []byte {
	infos, errs := SnapshotN(ctx, key.limit)
	if !key.json {
		return []byte(Format(infos, errs))
	}
	b, _ := json.Marshal(infos) // plain data: numbers, strings and bools cannot fail
	return append(b, '\n')
}

// parseLimit reads the limit parameter of a request.
func parseLimit(s string) (int, error) {
	switch s {
	case "":
		return defaultLimit, nil
	case "all":
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("debughttp: limit=%q: want a number of tasks, or all", s)
	}
	return n, nil
}

// isLoopbackHost reports whether host, a Host header, names the loopback
// interface.
func isLoopbackHost(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else { // no port; an IPv6 address may still have its brackets
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	}
	return loopbackHost(host)
}

// loopbackHost reports whether host is "localhost" or a loopback IP
// address. Other names are not trusted, even if they resolve to one: the
// point of checking is that whoever controls a name's DNS chooses that.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

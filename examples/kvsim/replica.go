package kvsim

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/goasyncio/asyncio"
)

// Config is what a replica runs with.
type Config struct {
	// Addr is the address the replica listens on, such as ":7000".
	Addr string
	// Peers are the addresses of the other replicas.
	Peers []string
	// Store holds the replica's state; it must not be nil.
	Store *Store
	// Timeout bounds each attempt to pass an increment on to a peer;
	// 0 means 100 ms.
	Timeout time.Duration
}

// retryDelay is how long a replica or a client waits before it tries
// again.
const retryDelay = 20 * time.Millisecond

// Serve runs a replica until ctx is cancelled or listening fails.
func Serve(ctx context.Context, cfg Config) error {
	if cfg.Store == nil {
		return errors.New("kvsim: Serve with a nil Store")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 100 * time.Millisecond
	}
	r := &replica{cfg: cfg}
	for _, addr := range cfg.Peers {
		r.peers = append(r.peers, &peer{addr: addr})
	}
	defer r.close()
	srv, err := asyncio.StartServer(ctx, "tcp", cfg.Addr, r.handle)
	if err != nil {
		return err
	}
	return srv.ServeForever(ctx)
}

// A replica is a running replica: its config and its links to its peers.
type replica struct {
	cfg   Config
	peers []*peer
}

// handle answers the requests of one connection, a line each, until the
// connection ends.
func (r *replica) handle(ctx context.Context, s *asyncio.Stream) error {
	for {
		line, err := s.ReadLine(ctx)
		if err != nil {
			return nil // the client went away, cleanly or not
		}
		reply, err := r.do(ctx, strings.Fields(string(line)))
		if err != nil {
			return err
		}
		s.Write([]byte(reply))
	}
}

// do carries out one request and returns its reply.
func (r *replica) do(ctx context.Context, req []string) (string, error) {
	if len(req) != 3 {
		return "ERR want INCR or APPLY, a key and an id\n", nil
	}
	key, id := req[1], req[2]
	switch req[0] {
	case "APPLY":
		r.cfg.Store.Apply(key, id)
		return "OK\n", nil
	case "INCR":
		n := r.cfg.Store.Apply(key, id)
		// Pass it on even if this replica had it: a replica that crashed
		// before it passed the increment on learns it again from the
		// client's retry.
		for _, p := range r.peers {
			if err := p.apply(ctx, key, id, r.cfg.Timeout); err != nil {
				return "", err
			}
		}
		return "OK " + strconv.Itoa(n) + "\n", nil
	}
	return fmt.Sprintf("ERR unknown command %q\n", req[0]), nil
}

// close closes the connections to the peers.
func (r *replica) close() {
	for _, p := range r.peers {
		p.drop()
	}
}

// A peer is the connection to another replica, made when first needed
// and made again after it fails. Its lock keeps one request at a time on
// the connection.
type peer struct {
	addr string
	mu   asyncio.Lock
	s    *asyncio.Stream
}

// apply has the peer apply an increment, trying until it answers: it
// returns an error only if the task is cancelled.
func (p *peer) apply(ctx context.Context, key, id string, timeout time.Duration) error {
	if err := p.mu.Acquire(ctx); err != nil {
		return err
	}
	defer p.mu.Release()
	for {
		err := asyncio.Timeout(ctx, timeout, func(ctx context.Context) error {
			return p.try(ctx, key, id)
		})
		if err == nil {
			return nil
		}
		if errors.Is(err, asyncio.ErrCancelled) {
			return err
		}
		p.drop()
		if err := asyncio.Sleep(ctx, retryDelay); err != nil {
			return err
		}
	}
}

// try makes one attempt of apply.
func (p *peer) try(ctx context.Context, key, id string) error {
	if p.s == nil {
		s, err := asyncio.OpenConnection(ctx, "tcp", p.addr)
		if err != nil {
			return err
		}
		p.s = s
	}
	if _, err := p.s.Write([]byte("APPLY " + key + " " + id + "\n")); err != nil {
		return err
	}
	line, err := p.s.ReadLine(ctx)
	if err != nil {
		return err
	}
	if string(line) != "OK\n" {
		return fmt.Errorf("kvsim: %s answered APPLY with %q", p.addr, line)
	}
	return nil
}

// drop closes the connection, after a failure: a late answer on it must
// not be taken for the answer to the next request.
func (p *peer) drop() {
	if p.s != nil {
		p.s.Close()
		p.s = nil
	}
}

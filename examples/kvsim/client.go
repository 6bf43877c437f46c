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

// A Client increments counters of a replicated store, trying the
// replicas in turn until one acknowledges. Set its fields before the
// first call; a Client must be used by one task at a time.
type Client struct {
	// Replicas are the addresses of the replicas; the client starts with
	// the first.
	Replicas []string
	// Name makes the client's increment IDs unique among all clients.
	Name string
	// Timeout bounds each attempt; 0 means 200 ms.
	Timeout time.Duration
	// UnsafeRetry is a planted bug, for the tests to find: each attempt
	// gets an ID of its own, so a replica cannot tell a retry from a new
	// increment.
	UnsafeRetry bool

	ids  int             // increment IDs used so far
	next int             // the replica to try: an index in Replicas
	s    *asyncio.Stream // the connection to Replicas[next], or nil
}

// Incr adds one to key's counter and returns the count that the replica
// that acknowledged it had then. It tries until a replica acknowledges
// the increment: it fails only if ctx's task is cancelled.
func (c *Client) Incr(ctx context.Context, key string) (int, error) {
	if len(c.Replicas) == 0 {
		return 0, errors.New("kvsim: Client with no Replicas")
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 200 * time.Millisecond
	}
	id := c.newID()
	for {
		if c.UnsafeRetry {
			id = c.newID()
		}
		var n int
		err := asyncio.Timeout(ctx, timeout, func(ctx context.Context) (err error) {
			n, err = c.try(ctx, key, id)
			return err
		})
		if err == nil {
			return n, nil
		}
		if errors.Is(err, asyncio.ErrCancelled) {
			return 0, err
		}
		c.Close()
		c.next = (c.next + 1) % len(c.Replicas)
		if err := asyncio.Sleep(ctx, retryDelay); err != nil {
			return 0, err
		}
	}
}

// newID returns an increment ID the client has not used.
func (c *Client) newID() string {
	c.ids++
	return c.Name + "-" + strconv.Itoa(c.ids)
}

// try makes one attempt of Incr at the current replica.
func (c *Client) try(ctx context.Context, key, id string) (int, error) {
	if c.s == nil {
		s, err := asyncio.OpenConnection(ctx, "tcp", c.Replicas[c.next])
		if err != nil {
			return 0, err
		}
		c.s = s
	}
	if _, err := c.s.Write([]byte("INCR " + key + " " + id + "\n")); err != nil {
		return 0, err
	}
	line, err := c.s.ReadLine(ctx)
	if err != nil {
		return 0, err
	}
	count, ok := strings.CutPrefix(strings.TrimSuffix(string(line), "\n"), "OK ")
	n, err := strconv.Atoi(count)
	if !ok || err != nil {
		return 0, fmt.Errorf("kvsim: %s answered INCR with %q", c.Replicas[c.next], line)
	}
	return n, nil
}

// Close closes the client's connection, if it has one. The client may be
// used again: it connects anew.
func (c *Client) Close() error {
	if c.s == nil {
		return nil
	}
	err := c.s.Close()
	c.s = nil
	return err
}

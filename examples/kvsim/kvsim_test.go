package kvsim_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/examples/kvsim"
	"github.com/goasyncio/asyncio/sim"
)

// replicas are the hosts that run a replica, each listening on port 7000.
var replicas = []string{"a", "b"}

// A run is one simulated run of the store: two replicas and a client
// that makes requests increments of one key, under faults.
type run struct {
	requests    int
	unsafeRetry bool // the planted bug
}

// test sets up the world, runs it and checks that each replica counted
// every increment once.
func (r run) test(w *sim.World) error {
	w.SetDefaultLink(sim.Link{Latency: time.Millisecond, Jitter: 2 * time.Millisecond})
	stores := make(map[string]*kvsim.Store)
	for _, name := range replicas {
		store := kvsim.NewStore() // the replica's disk: it outlives a crash
		stores[name] = store
		cfg := kvsim.Config{Addr: ":7000", Store: store}
		for _, p := range replicas {
			if p != name {
				cfg.Peers = append(cfg.Peers, p+":7000")
			}
		}
		w.Host(name).Boot(func(ctx context.Context) error { return kvsim.Serve(ctx, cfg) })
	}
	client := w.Host("client")
	err := w.Run(func(ctx context.Context) error {
		done := client.Go(ctx, func(ctx context.Context) error {
			c := &kvsim.Client{Replicas: []string{"a:7000", "b:7000"}, Name: "client", UnsafeRetry: r.unsafeRetry}
			defer c.Close()
			for range r.requests {
				if _, err := c.Incr(ctx, "k"); err != nil {
					return err
				}
			}
			return nil
		})
		for !done.Done() {
			if err := fault(ctx, w); err != nil {
				return err
			}
		}
		_, err := asyncio.Await(ctx, done)
		return err
	})
	if err != nil {
		return err
	}
	for _, name := range replicas {
		if got := stores[name].Get("k"); got != r.requests {
			return fmt.Errorf("replica %s counted %d increments, want %d", name, got, r.requests)
		}
	}
	return nil
}

// fault waits a while, then breaks something for a while, each drawn from
// the world's seed, and mends it.
func fault(ctx context.Context, w *sim.World) error {
	rng := w.Rand()
	if err := asyncio.Sleep(ctx, time.Duration(rng.Int64N(int64(time.Second)))); err != nil {
		return err
	}
	pairs := [][2]string{{"a", "b"}, {"client", "a"}, {"client", "b"}}
	var mend func()
	switch k := rng.IntN(len(pairs) + len(replicas)); {
	case k < len(pairs):
		x, y := pairs[k][0], pairs[k][1]
		w.Partition(x, y)
		mend = func() { w.Repair(x, y) }
	default:
		h := replicas[k-len(pairs)]
		w.Crash(ctx, h)
		mend = func() { w.Restart(ctx, h) }
	}
	err := asyncio.Sleep(ctx, time.Duration(rng.Int64N(int64(time.Second))))
	mend()
	return err
}

// bugEnv, set to 1, plants the bug in TestIncrementsCountedOnce, to see
// how sim.Check reports a failing seed and how it is replayed (README.md).
const bugEnv = "KVSIM_UNSAFE_RETRY"

func TestIncrementsCountedOnce(t *testing.T) {
	seeds := 1000
	if testing.Short() {
		seeds = 100
	}
	sim.Check(t, seeds, run{requests: 100, unsafeRetry: os.Getenv(bugEnv) == "1"}.test)
}

func TestSearchFindsUnsafeRetry(t *testing.T) {
	buggy := run{requests: 100, unsafeRetry: true}
	f := sim.Search(1, 1000, buggy.test)
	if f == nil {
		t.Fatal("Search found no failing seed among 1000 with UnsafeRetry")
	}
	t.Logf("seed %d: %v", f.Seed, f.Err)
	again := sim.Replay(f.Seed, buggy.test)
	switch {
	case again == nil:
		t.Fatalf("seed %d failed in Search but passes in Replay", f.Seed)
	case again.Err.Error() != f.Err.Error():
		t.Errorf("seed %d: Replay failed with %v, Search with %v", f.Seed, again.Err, f.Err)
	case again.Trace != f.Trace:
		t.Errorf("seed %d: Replay's trace differs from Search's", f.Seed)
	}
	fixed := run{requests: buggy.requests}
	if g := sim.Replay(f.Seed, fixed.test); g != nil {
		t.Errorf("seed %d without the bug: %v", f.Seed, g.Err)
	}
}

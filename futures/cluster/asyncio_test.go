package cluster_test

import (
	"context"
	"os"
	"testing"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures/cluster"
)

// A task of an event loop awaits a cluster call through WrapFuture: the
// loop's task dump names the call while it runs, and the task gets the
// worker's result.
func TestAwaitFromATask(t *testing.T) {
	s := startServer(t)
	e := dial(t, s, nil)
	serveHere(t, s, 1, 1, "")
	dir := t.TempDir()
	var awaiting string
	pid, err := asyncio.Run(func(ctx context.Context) (int, error) {
		task := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			return asyncio.Await(ctx, asyncio.WrapFuture(ctx, cluster.Call(e, hold, dir)))
		}, asyncio.WithName("remote"))
		asyncio.Sleep(ctx, 0) // the task makes the call
		startedIn(t, dir)     // blocks the loop, which has nothing else to do
		l, _ := asyncio.GetRunningLoop(ctx)
		for _, ti := range l.Tasks() {
			if ti.Name == "remote" {
				awaiting = ti.Awaiting
			}
		}
		release(t, dir)
		return asyncio.Await(ctx, task)
	})
	if pid != os.Getpid() || err != nil {
		t.Fatalf("the task got %v, %v; want this process's ID from the worker serving here", pid, err)
	}
	if want := `executor work: cluster call "cluster.hold" on queue goasyncio`; awaiting != want {
		t.Errorf("the dump says the task awaits %q, want %q", awaiting, want)
	}
}

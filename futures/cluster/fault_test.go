package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/futures/cluster"
)

// A worker killed with SIGKILL in the middle of a call: the call runs
// again on the other worker once the lease runs out, and the future gets
// exactly one result, the other worker's.
func TestKilledWorkerCallRunsElsewhere(t *testing.T) {
	s := startServer(t)
	e := dial(t, s, &cluster.Options{Lease: time.Second})
	w1 := startWorker(t, s, 1)
	dir := t.TempDir()
	f := cluster.Call(e, hold, dir)
	first := startedIn(t, dir)
	w2 := startWorker(t, s, 1) // started after w1 took the call, so that w1 had it
	if first != w1.pid() {
		t.Fatalf("the call started in process %d, not in the first worker %d", first, w1.pid())
	}
	w1.cmd.Process.Kill()
	<-w1.waited
	if second := startedIn(t, dir, first); second != w2.pid() {
		t.Fatalf("the call started again in process %d, not in the second worker %d", second, w2.pid())
	}
	release(t, dir)
	if pid, err := result(t, f); pid != w2.pid() || err != nil {
		t.Fatalf("result %v, %v; want the second worker's pid %d", pid, err, w2.pid())
	}
	st := stats(t, e)
	if st.Completed != 1 || st.Reattempted != 1 || st.Duplicates != 0 || st.Failed != 0 {
		t.Errorf("stats %+v: want one result, of a second attempt, no duplicate, no failure", st)
	}
}

// After its last attempt a call fails with ErrBrokenWorker, and says why.
func TestAttemptsUsedUp(t *testing.T) {
	for _, attempts := range []int{1, 2} {
		t.Run("", func(t *testing.T) {
			s := startServer(t)
			e := dial(t, s, &cluster.Options{Lease: time.Second, Attempts: attempts})
			dir := t.TempDir()
			f := cluster.Call(e, hold, dir)
			var seen []int
			for range attempts {
				w := startWorker(t, s, 1)
				if pid := startedIn(t, dir, seen...); pid != w.pid() {
					t.Fatalf("started in %d, want the new worker %d", pid, w.pid())
				}
				seen = append(seen, w.pid())
				w.cmd.Process.Kill()
				<-w.waited
			}
			startWorker(t, s, 1) // takes the call once more, and reports it
			_, err := result(t, f)
			if !errors.Is(err, futures.ErrBrokenWorker) || !strings.Contains(err.Error(), "cluster.hold") ||
				!strings.Contains(err.Error(), "lease of 1s") {
				t.Fatalf("error %v; want ErrBrokenWorker naming the function and the lease", err)
			}
			if st := stats(t, e); st.Broken != 1 || st.Failed != 1 || st.Reattempted != 1 {
				t.Errorf("stats %+v: want one broken call", st)
			}
		})
	}
}

// A worker that stops (SIGSTOP) in the middle of a call stops extending
// its lease, so the call runs elsewhere; when it goes on, its late result
// is dropped and the future keeps the first.
func TestHungWorker(t *testing.T) {
	s := startServer(t)
	e := dial(t, s, &cluster.Options{Lease: time.Second})
	w1 := startWorker(t, s, 1)
	dir := t.TempDir()
	f := cluster.Call(e, hold, dir)
	first := startedIn(t, dir)
	w1.cmd.Process.Signal(syscall.SIGSTOP)
	w2 := startWorker(t, s, 1)
	if second := startedIn(t, dir, first); second != w2.pid() {
		t.Fatalf("the call started again in %d, want %d", second, w2.pid())
	}
	release(t, dir)
	if pid, err := result(t, f); pid != w2.pid() || err != nil {
		t.Fatalf("result %v, %v; want the second worker's pid %d", pid, err, w2.pid())
	}
	w1.cmd.Process.Signal(syscall.SIGCONT)
	// The first worker now finishes and sends a result for the same
	// call; a call made after that, to the first worker only, shows that
	// its result has been sent or dropped by then.
	w2.cmd.Process.Signal(syscall.SIGTERM)
	<-w2.waited
	if v, err := result(t, cluster.Call(e, echo, 5)); v != 5 || err != nil {
		t.Fatalf("echo(5) on the first worker = %v, %v", v, err)
	}
	if pid, _ := f.Result(); pid != w2.pid() {
		t.Errorf("the result changed to %d", pid)
	}
}

func stats(t *testing.T, e *cluster.Executor) cluster.Stats {
	t.Helper()
	st, err := e.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The server restarts in the middle of a burst of calls: every call
// completes, with its own result, once the executor and the workers have
// reconnected.
func TestServerRestartLosesNoCall(t *testing.T) {
	s := startServer(t)
	serveHere(t, s, 2, 4, "")
	e := dial(t, s, nil)
	const n = 400
	fs := make([]*futures.Future[int], n)
	for i := range fs {
		fs[i] = cluster.Call(e, echo, i)
		if i == n/4 {
			result(t, fs[0])
			s.restart()
		}
	}
	for i, f := range fs {
		if v, err := result(t, f); v != i || err != nil {
			t.Fatalf("call %d: %v, %v", i, v, err)
		}
	}
}

// Results that arrive while the executor is disconnected wait for it at
// the server.
func TestResultsWaitForADisconnectedExecutor(t *testing.T) {
	s := startServer(t)
	serveHere(t, s, 1, 4, "")
	p := startProxy(t, s.URL()[len("nats://"):])
	e, err := cluster.Dial(t.Context(), p.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	dir := t.TempDir()
	fs := []*futures.Future[int]{cluster.Call(e, hold, dir), cluster.Call(e, hold, dir)}
	startedIn(t, dir)
	p.setCut(true)
	for cluster.Connected(e) {
		time.Sleep(time.Millisecond)
	}
	release(t, dir)
	waitQueueEmpty(t, s)
	p.setCut(false)
	for _, f := range fs {
		ctx, cancel := context.WithTimeout(t.Context(), hangLimit)
		pid, err := f.ResultContext(ctx)
		cancel()
		if pid != os.Getpid() || err != nil {
			t.Errorf("result %v, %v; the queue:\n%s", pid, err, queueState(s.URL()))
		}
	}
}

// waitQueueEmpty waits until the workers have acknowledged every call: the
// results are stored.
func waitQueueEmpty(t *testing.T, s *natsServer) {
	t.Helper()
	nc, err := nats.Connect(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for deadline := time.Now().Add(hangLimit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		st, err := js.Stream(t.Context(), cluster.DefaultQueue+"-calls")
		if err == nil && st.CachedInfo().State.Msgs == 0 {
			return
		}
	}
	t.Fatal("the calls were never acknowledged")
}

// A worker told to stop with SIGTERM finishes the call it runs, takes no
// new one, and exits with status 0.
func TestWorkerDrainsOnSIGTERM(t *testing.T) {
	s := startServer(t)
	e := dial(t, s, nil)
	w := startWorker(t, s, 1)
	dir := t.TempDir()
	f := cluster.Call(e, hold, dir)
	startedIn(t, dir)
	w.cmd.Process.Signal(syscall.SIGTERM)
	w.log.waitFor(t, "stopping")
	later := cluster.Call(e, echo, 9)
	release(t, dir)
	if pid, err := result(t, f); pid != w.pid() || err != nil {
		t.Fatalf("the running call: %v, %v", pid, err)
	}
	select {
	case <-w.waited:
	case <-time.After(hangLimit):
		t.Fatal("the worker did not exit")
	}
	if w.err != nil {
		t.Errorf("the worker exited with %v", w.err)
	}
	if later.Done() {
		t.Fatal("the draining worker ran a new call")
	}
	startWorker(t, s, 1)
	if v, err := result(t, later); v != 9 || err != nil {
		t.Errorf("the later call on a new worker: %v, %v", v, err)
	}
}

// A message in the queue that is not a call is dropped and reported, not
// handed from worker to worker; the worker serves on.
func TestPoisonedMessage(t *testing.T) {
	s := startServer(t)
	var logged strings.Builder
	var mu sync.Mutex
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		done <- cluster.Serve(ctx, s.URL(), &cluster.WorkerOptions{Concurrency: 1, Logf: func(format string, args ...any) {
			mu.Lock()
			fmt.Fprintf(&logged, format+"\n", args...)
			mu.Unlock()
		}})
	}()
	defer func() { cancel(); <-done }()
	e := dial(t, s, nil)
	nc, err := nats.Connect(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	poison := []*nats.Msg{
		{Subject: cluster.DefaultQueue + ".calls", Data: []byte("\x00\xffgarbage")},
		{Subject: cluster.DefaultQueue + ".calls", Header: nats.Header{"Nats-Msg-Id": {"x1"}, "Goasyncio-Func": {"cluster.echo"},
			"Goasyncio-Reply": {"elsewhere.>"}, "Goasyncio-Attempts": {"3"}}, Data: []byte("1")},
	}
	for _, m := range poison {
		if _, err := js.PublishMsg(t.Context(), m); err != nil {
			t.Fatal(err)
		}
	}
	if v, err := result(t, cluster.Call(e, echo, 4)); v != 4 || err != nil {
		t.Fatalf("echo(4) after the poison: %v, %v", v, err)
	}
	waitQueueEmpty(t, s)
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logged.String(), "dropped malformed call message"); n != len(poison) {
		t.Errorf("the worker reported %d malformed messages, want %d:\n%s", n, len(poison), logged.String())
	}
}

// A worker told to stop while the server is gone finishes its call, waits
// a bounded time for the server to store the result, and returns without
// leaving a goroutine behind; the call runs again elsewhere.
func TestWorkerStopsWithoutTheServer(t *testing.T) {
	defer cluster.SetDrainWait(time.Second)()
	s := startServer(t)
	e := dial(t, s, nil)
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error)
	go func() { served <- cluster.Serve(ctx, s.URL(), &cluster.WorkerOptions{Concurrency: 1, Logf: t.Logf}) }()
	dir := t.TempDir()
	cluster.Call(e, hold, dir)
	startedIn(t, dir)
	e.Close()
	s.stop()
	cancel()
	release(t, dir)
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(hangLimit):
		t.Fatal("the worker did not stop")
	}
	goleak.VerifyNone(t)
}

// A call that a worker received ahead of the calls it runs keeps its
// lease while it waits for them, however long they run: it runs once, and
// costs no attempt.
func TestCallsWaitingAtAWorkerKeepTheirLease(t *testing.T) {
	s := startServer(t)
	e := dial(t, s, &cluster.Options{Lease: time.Second, Attempts: 1})
	serveHere(t, s, 1, 2, "")
	a, l, b := t.TempDir(), t.TempDir(), t.TempDir()
	cluster.Call(e, hold, a)
	startedIn(t, a)
	cluster.Call(e, hold, l)
	startedIn(t, l)
	fb, fc := cluster.Call(e, hold, b), cluster.Call(e, echo, 7)
	for fb.State() == futures.Pending || fc.State() == futures.Pending {
		time.Sleep(time.Millisecond) // until both are handed to the server
	}
	release(t, a) // the worker asks for two calls for the one free slot
	startedIn(t, b)
	serveHere(t, s, 1, 1, "")   // another worker, idle, asks for calls
	time.Sleep(3 * time.Second) // three leases, while echo(7) waits behind b and l
	release(t, l)
	release(t, b)
	if v, err := result(t, fc); v != 7 || err != nil {
		t.Fatalf("echo(7) = %v, %v", v, err)
	}
	waitQueueEmpty(t, s)
	if st := stats(t, e); st.Duplicates != 0 || st.Broken != 0 || st.Reattempted != 0 {
		t.Errorf("stats %+v: want no call handed over twice", st)
	}
}

// A worker told to stop while it sets the queue up stops as it would while
// serving: Serve returns nil.
func TestServeStoppedBeforeItServes(t *testing.T) {
	s := startServer(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := cluster.Serve(ctx, s.URL(), &cluster.WorkerOptions{Logf: t.Logf}); err != nil {
		t.Errorf("Serve with its context done: %v, want nil", err)
	}
}

package cluster_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/futures/cluster"
)

func TestCallOutcomes(t *testing.T) {
	s := startServer(t)
	serveHere(t, s, 1, 2, "")
	e := dial(t, s, nil)
	f := cluster.Call(e, echo, 42)
	if f.State() == futures.Pending || f.Cancel() {
		t.Errorf("a call handed to the server is %v, and Cancel succeeded", f.State())
	}
	if v, err := result(t, f); v != 42 || err != nil {
		t.Errorf("echo(42) = %v, %v; want 42, nil", v, err)
	}
	if _, err := result(t, cluster.Call(e, fail, 7)); err == nil || err.Error() != "no good: 7" {
		t.Errorf("fail(7): error %v, want the function's text", err)
	}
	_, err := result(t, cluster.Call(e, boom, "kaboom"))
	var pe *futures.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" || !strings.Contains(string(pe.Stack), "helpers_test.go") {
		t.Errorf("boom: error %#v, want a *PanicError of \"kaboom\" with the worker's stack", err)
	}
}

// The misuse and the malformed calls a worker meets: each fails its call
// with a clear error, once, and the worker serves on.
func TestCallErrors(t *testing.T) {
	s := startServer(t)
	startWorker(t, s, 1) // a process, which knows only the package-level functions
	e := dial(t, s, nil)
	tests := []struct {
		name string
		f    *futures.Future[int]
		is   error
		text string
	}{
		{"unregistered", cluster.Call(e, parentOnly(), 1), futures.ErrNotRegistered, `"cluster.parentOnly"`},
		{"unknown name", cluster.CallJSON[int](e, "no.such.function", []byte("1")), futures.ErrNotRegistered, `"no.such.function"`},
		{"argument of the wrong type", cluster.CallJSON[int](e, echo.Name(), []byte(`"seven"`)), futures.ErrEncoding, "argument"},
		{"argument not JSON", cluster.CallJSON[int](e, echo.Name(), []byte(`{{{`)), futures.ErrEncoding, "argument"},
		{"result of the wrong type", cluster.CallJSON[int](e, big.Name(), []byte("3")), futures.ErrEncoding, "result"},
	}
	for _, tt := range tests {
		if _, err := result(t, tt.f); !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("%s: error %v, want %v mentioning %s", tt.name, err, tt.is, tt.text)
		}
	}
	waitQueueEmpty(t, s) // the workers' acknowledgements may come after the results
	if st := stats(t, e); st.Redelivered != 0 || st.Reattempted != 0 || st.Queued != 0 || st.Running != 0 || st.Failed != uint64(len(tests)) {
		t.Errorf("stats %+v: want %d failures and nothing handed over again", st, len(tests))
	}
	if v, err := result(t, cluster.Call(e, echo, 3)); v != 3 || err != nil {
		t.Errorf("echo(3) after the errors = %v, %v", v, err)
	}
}

// parentOnly returns a function registered in the test process only, not
// in its worker processes.
func parentOnly() futures.Func[int, int] {
	parentOnlyOnce.Do(func() {
		parentOnlyFunc = futures.Register("cluster.parentOnly", func(x int) (int, error) { return x, nil })
	})
	return parentOnlyFunc
}

var (
	parentOnlyOnce sync.Once
	parentOnlyFunc futures.Func[int, int]
)

// Arguments and results larger than the server's maximum message fail
// with ErrEncoding, the argument before anything is sent.
func TestSizeLimits(t *testing.T) {
	s := startServer(t)
	serveHere(t, s, 1, 1, "")
	e := dial(t, s, nil)
	f := cluster.Call(e, boom, strings.Repeat("x", 2<<20))
	if !f.Done() {
		t.Fatal("a call with a too large argument is not failed at once")
	}
	if _, err := f.Result(); !errors.Is(err, futures.ErrEncoding) || !strings.Contains(err.Error(), "max_payload") {
		t.Errorf("too large argument: error %v, want ErrEncoding naming max_payload", err)
	}
	if _, err := result(t, cluster.Call(e, big, 2<<20)); !errors.Is(err, futures.ErrEncoding) || !strings.Contains(err.Error(), "result") {
		t.Errorf("too large result: error %v, want ErrEncoding about the result", err)
	}
	if v, err := result(t, cluster.Call(e, big, 1000)); len(v) != 1000 || err != nil {
		t.Errorf("big(1000) = %d bytes, %v", len(v), err)
	}
}

// Map, Wait and AsCompleted work on the futures of cluster calls.
func TestMapWaitAsCompleted(t *testing.T) {
	s := startServer(t)
	serveHere(t, s, 2, 4, "")
	e := dial(t, s, nil)
	i := 0
	for v, err := range cluster.Map(e, echo, slices.Values([]int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})) {
		if v != i || err != nil {
			t.Fatalf("Map yielded %v, %v at %d", v, err, i)
		}
		i++
	}
	if i != 10 {
		t.Fatalf("Map yielded %d results, want 10", i)
	}
	var fs []*futures.Future[int]
	for i := range 20 {
		fs = append(fs, cluster.Call(e, echo, i))
	}
	done, notDone := futures.Wait(fs, hangLimit, futures.AllCompleted)
	if len(done) != 20 || len(notDone) != 0 {
		t.Fatalf("Wait: %d done, %d not", len(done), len(notDone))
	}
	sum := 0
	for f := range futures.AsCompleted(t.Context(), fs) {
		v, _ := f.Result()
		sum += v
	}
	if sum != 190 {
		t.Errorf("AsCompleted summed %d, want 190", sum)
	}
}

// Cancel is exact while a call waits to be handed to the server: with the
// server gone, a call stays pending; cancelled, it never runs, while its
// neighbour runs once the server is back.
func TestCancelBeforeHandOff(t *testing.T) {
	s := startServer(t)
	e := dial(t, s, nil)
	s.stop()
	for cluster.Connected(e) {
		time.Sleep(time.Millisecond)
	}
	cancelled, kept := cluster.Call(e, counted, 1), cluster.Call(e, counted, 2)
	if cancelled.State() != futures.Pending || kept.State() != futures.Pending {
		t.Fatalf("with the server down the calls are %v and %v, want pending", cancelled.State(), kept.State())
	}
	if !cancelled.Cancel() {
		t.Fatal("Cancel of a call not handed over failed")
	}
	before := runs.Load()
	s.start()
	serveHere(t, s, 1, 1, "")
	if v, err := result(t, kept); v != 2 || err != nil {
		t.Fatalf("the kept call: %v, %v", v, err)
	}
	if _, err := cancelled.Result(); !errors.Is(err, futures.ErrCancelled) {
		t.Errorf("the cancelled call: %v", err)
	}
	e.Shutdown(true) // its sendLoop has forgotten the cancelled call
	if n := runs.Load() - before; n != 1 {
		t.Errorf("%d calls ran, want 1: the cancelled one ran", n)
	}
	if _, err := cluster.Call(e, echo, 1).Result(); !errors.Is(err, futures.ErrShutdown) {
		t.Errorf("a call after Shutdown: error %v, want ErrShutdown", err)
	}
}

// Workers and executors that start at once on a new server all set the
// queue up without tripping over each other: one creates each stream, the
// others find it. (nats-server 2.9 refuses a second creation racing the
// first, and can crash updating a stream still being created.)
func TestStartTogether(t *testing.T) {
	rounds := 100 // the race is rare: about once in 50 rounds
	if os.Getenv(serverEnv) == "" {
		rounds = 20 // the embedded server is slow to stop
	}
	for range rounds {
		s := startServer(t)
		var wg sync.WaitGroup
		ctx, stop := context.WithCancel(t.Context())
		served := make(chan error, 2)
		for i := range 2 {
			go func() {
				served <- cluster.Serve(ctx, s.URL(), &cluster.WorkerOptions{Concurrency: 1, Name: "w" + strconv.Itoa(i), Logf: t.Logf})
			}()
		}
		executors := make([]*cluster.Executor, 3)
		for i := range executors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e, err := cluster.Dial(ctx, s.URL(), &cluster.Options{Lease: 5 * time.Second})
				if err != nil {
					t.Error(err)
					return
				}
				executors[i] = e
			}()
		}
		wg.Wait()
		for i, e := range executors {
			if e == nil {
				continue
			}
			rctx, rcancel := context.WithTimeout(t.Context(), hangLimit)
			v, err := cluster.Call(e, echo, i).ResultContext(rctx)
			rcancel()
			if v != i || err != nil {
				t.Errorf("echo(%d) = %v, %v; the queue:\n%s", i, v, err, queueState(s.URL()))
			}
			e.Close()
		}
		stop()
		for range 2 {
			if err := <-served; err != nil {
				t.Error(err)
			}
		}
		s.stop()
		if t.Failed() {
			return
		}
	}
}

// Once a future has its result, Stats counts the call as completed and no
// longer in flight: even in a callback of the future, which runs as it
// completes.
func TestStatsAgreeWithResults(t *testing.T) {
	s := startServer(t)
	serveHere(t, s, 1, 1, "")
	e := dial(t, s, nil)
	for i := range 3 {
		f := cluster.Call(e, fail, i)
		seen := make(chan cluster.Stats, 1)
		f.AddDoneCallback(func(*futures.Future[int]) {
			st, _ := e.Stats(context.Background())
			seen <- st
		})
		if _, err := result(t, f); err == nil {
			t.Fatalf("fail(%d) did not fail", i)
		}
		if st := <-seen; st.Completed != uint64(i+1) || st.Failed != uint64(i+1) || st.InFlight != 0 {
			t.Fatalf("after %d results, stats %+v", i+1, st)
		}
	}
}

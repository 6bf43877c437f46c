package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/futures/cluster"
)

// The functions the tests call, registered in every worker.
var (
	echo = futures.Register("cluster.echo", func(x int) (int, error) { return x, nil })
	fail = futures.Register("cluster.fail", func(x int) (int, error) { return 0, fmt.Errorf("no good: %d", x) })
	boom = futures.Register("cluster.boom", func(s string) (int, error) { panic(s) })
	big  = futures.Register("cluster.big", func(n int) (string, error) { return string(make([]byte, n)), nil })
	// hold reports its process's start in dir and returns the process's
	// ID once dir holds a file named release.
	hold = futures.Register("cluster.hold", func(dir string) (int, error) {
		pid := os.Getpid()
		if err := os.WriteFile(filepath.Join(dir, "started."+strconv.Itoa(pid)), nil, 0o600); err != nil {
			return 0, err
		}
		for deadline := time.Now().Add(hangLimit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(dir, "release")); err == nil {
				return pid, nil
			}
		}
		return 0, errors.New("never released")
	})
	// counted counts its calls in this process.
	counted = futures.Register("cluster.counted", func(x int) (int, error) { runs.Add(1); return x, nil })
)

var runs atomic.Int64

// dial returns an executor on s, closed by the test's cleanup.
func dial(t *testing.T, s *natsServer, opts *cluster.Options) *cluster.Executor {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
	defer cancel()
	e, err := cluster.Dial(ctx, s.URL(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// serveHere runs n workers of the given concurrency in this process until
// the test's cleanup stops them and waits for them.
func serveHere(t *testing.T, s *natsServer, n, concurrency int, queue string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			opts := &cluster.WorkerOptions{Queue: queue, Concurrency: concurrency, Name: "w" + strconv.Itoa(i), Logf: t.Logf}
			if err := cluster.Serve(ctx, s.URL(), opts); err != nil {
				t.Error(err)
			}
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// A workerProcess is this test binary serving as a worker.
type workerProcess struct {
	cmd    *exec.Cmd
	log    *logLines     // its standard error
	waited chan struct{} // closed once the process is reaped
	err    error         // what Wait returned
}

// startWorker starts a worker process on s that the test's cleanup kills
// and reaps, if it has not exited.
func startWorker(t *testing.T, s *natsServer, concurrency int) *workerProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), cluster.WorkerEnv+"="+s.URL(), cluster.ConcurrencyEnv+"="+strconv.Itoa(concurrency))
	w := &workerProcess{cmd: cmd, waited: make(chan struct{}), log: &logLines{seen: make(chan struct{}, 1)}}
	cmd.Stderr = w.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.err = cmd.Wait(); close(w.waited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		<-w.waited
	})
	return w
}

func (w *workerProcess) pid() int { return w.cmd.Process.Pid }

// startedIn waits until a call of hold has started in dir and returns the
// ID of the process that runs it, other than the ones in not.
func startedIn(t *testing.T, dir string, not ...int) int {
	t.Helper()
	for deadline := time.Now().Add(hangLimit); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		names, _ := filepath.Glob(filepath.Join(dir, "started.*"))
	next:
		for _, name := range names {
			pid, _ := strconv.Atoi(filepath.Ext(name)[1:])
			for _, n := range not {
				if pid == n {
					continue next
				}
			}
			return pid
		}
	}
	t.Fatal("no call of hold started")
	return 0
}

// release lets the calls of hold in dir return.
func release(t *testing.T, dir string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// result waits for f's result, failing the test if it does not come.
func result[T any](t *testing.T, f *futures.Future[T]) (T, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangLimit)
	defer cancel()
	v, err := f.ResultContext(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("no result after %v", hangLimit)
	}
	return v, err
}

// logLines collects what a worker process writes.
type logLines struct {
	mu   sync.Mutex
	text []byte
	seen chan struct{} // has a value when text grew
}

func (l *logLines) Write(b []byte) (int, error) {
	os.Stderr.Write(b)
	l.mu.Lock()
	l.text = append(l.text, b...)
	l.mu.Unlock()
	select {
	case l.seen <- struct{}{}:
	default:
	}
	return len(b), nil
}

// waitFor waits until the log holds s.
func (l *logLines) waitFor(t *testing.T, s string) {
	t.Helper()
	timeout := time.After(hangLimit)
	for {
		l.mu.Lock()
		found := bytes.Contains(l.text, []byte(s))
		l.mu.Unlock()
		if found {
			return
		}
		select {
		case <-l.seen:
		case <-timeout:
			t.Fatalf("the worker never wrote %q", s)
		}
	}
}

// queueState describes the default queue's streams and consumers at the
// server at url, for the message of a test that failed.
func queueState(url string) string {
	nc, err := nats.Connect(url)
	if err != nil {
		return err.Error()
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var b strings.Builder
	for _, name := range []string{cluster.DefaultQueue + "-calls", cluster.DefaultQueue + "-results"} {
		st, err := js.Stream(ctx, name)
		if err != nil {
			fmt.Fprintf(&b, "stream %s: %v\n", name, err)
			continue
		}
		fmt.Fprintf(&b, "stream %s: %+v\n", name, st.CachedInfo().State)
		for c := range st.ListConsumers(ctx).Info() {
			fmt.Fprintf(&b, "  consumer %s: delivered %+v, ack floor %+v, pending %d, ack pending %d, redelivered %d, waiting %d, ack wait %v\n",
				c.Name, c.Delivered, c.AckFloor, c.NumPending, c.NumAckPending, c.NumRedelivered, c.NumWaiting, c.Config.AckWait)
		}
	}
	return b.String()
}

package debughttp_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/debughttp"
)

// The benchmarks measure what serving task dumps costs the loop being
// dumped, on a real loop with 100,000 tasks suspended on one future: the
// size at which issue 12 found a snapshot holding the loop for 176 ms.
const benchTasks = 100_000

// A parkedLoop runs benchTasks suspended tasks and a probe task that sleeps
// a millisecond at a time and records how late each sleep ends: lateness is
// time the loop could not run anything, which is what a snapshot costs the
// program being debugged.
type parkedLoop struct {
	loop *asyncio.Loop
	stop func()
	done chan struct{}

	// Written by the probe on the loop; read after done is closed.
	late []time.Duration
}

// stallOver counts a sleep that ends later than this as a stall: more than
// timer slack, less than the shortest snapshot worth measuring.
const stallOver = time.Millisecond

func startParkedLoop(tb testing.TB, n int) *parkedLoop {
	tb.Helper()
	p := &parkedLoop{done: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(p.done)
		asyncio.Run(func(ctx context.Context) (int, error) {
			p.loop, _ = asyncio.GetRunningLoop(ctx)
			park := asyncio.CreateFuture[int](ctx)
			for range n {
				asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return asyncio.Await(ctx, park) })
			}
			quit := asyncio.CreateFuture[int](ctx)
			p.stop = func() { p.loop.CallSoonThreadsafe(func() { quit.SetResult(0) }) }
			asyncio.Sleep(ctx, 0) // let every task start and suspend
			close(ready)
			for !quit.Done() {
				start := p.loop.Time()
				asyncio.Sleep(ctx, time.Millisecond)
				if d := p.loop.Time() - start - time.Millisecond; d > stallOver {
					p.late = append(p.late, d)
				}
			}
			park.SetResult(0)
			return 0, nil
		})
	}()
	<-ready
	return p
}

// finish stops the loop and returns the total and the longest stall seen.
func (p *parkedLoop) finish() (total, longest time.Duration) {
	p.stop()
	<-p.done
	for _, d := range p.late {
		total += d
		longest = max(longest, d)
	}
	return total, longest
}

// BenchmarkSnapshot100kTasks reports how long one Loop.Snapshot of 100,000
// tasks holds the loop (on-loop-ms/op): the time between two callbacks
// queued just before and just after the one that Snapshot queues. What
// Snapshot does off the loop is in ns/op only.
func BenchmarkSnapshot100kTasks(b *testing.B) {
	benchSnapshot(b, func(l *asyncio.Loop) error {
		_, err := l.Snapshot(context.Background())
		return err
	})
}

// BenchmarkSnapshotN100kTasks is BenchmarkSnapshot100kTasks for a snapshot
// of 10,000 of the 100,000 tasks, what a dump asks for by default.
func BenchmarkSnapshotN100kTasks(b *testing.B) {
	benchSnapshot(b, func(l *asyncio.Loop) error {
		_, err := l.SnapshotN(context.Background(), 10_000)
		return err
	})
}

func benchSnapshot(b *testing.B, snapshot func(*asyncio.Loop) error) {
	p := startParkedLoop(b, benchTasks)
	defer p.finish()
	var onLoop, longest time.Duration
	for b.Loop() {
		d := p.bracket(func() {
			if err := snapshot(p.loop); err != nil {
				b.Error(err)
			}
		})
		onLoop += d
		longest = max(longest, d)
	}
	b.ReportMetric(ms(onLoop)/float64(b.N), "on-loop-ms/op")
	b.ReportMetric(ms(longest), "max-on-loop-ms")
}

// bracket runs ask, which must queue one callback on the loop and wait for
// it, and returns how long the loop spent between the callbacks queued
// before and after it.
func (p *parkedLoop) bracket(ask func()) time.Duration {
	var before, after time.Time
	hold, done := make(chan struct{}), make(chan struct{})
	p.loop.CallSoonThreadsafe(func() { <-hold }) // so that the three queue up
	p.loop.CallSoonThreadsafe(func() { before = time.Now() })
	asked := make(chan struct{})
	go func() { ask(); close(asked) }()
	time.Sleep(time.Millisecond) // for ask to queue its callback
	p.loop.CallSoonThreadsafe(func() { after = time.Now(); close(done) })
	close(hold)
	<-asked
	<-done
	return after.Sub(before)
}

// BenchmarkServe32Clients100kTasks has 32 clients ask for the text dump at
// once, as a dashboard polling a process would, and reports how long the
// loop was stalled per round of 32 requests.
func BenchmarkServe32Clients100kTasks(b *testing.B) {
	for _, query := range []string{"", "?limit=all"} {
		b.Run("query="+query, func(b *testing.B) {
			p := startParkedLoop(b, benchTasks)
			srv := httptest.NewServer(debughttp.Handler())
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
			defer client.CloseIdleConnections()
			for b.Loop() {
				clients(32, func() {
					resp, err := client.Get(srv.URL + "/" + query)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				})
			}
			total, longest := p.finish()
			b.ReportMetric(ms(total)/float64(b.N), "stall-ms/op")
			b.ReportMetric(ms(longest), "max-stall-ms")
		})
	}
}

// BenchmarkAbandoned32Clients100kTasks has 32 clients ask for the text dump
// of a loop that is held up, and give up after 10 ms, as a client with a
// timeout does. It reports how long the loop stays busy with their requests
// once it is free (after-ms/op): the time until a callback queued at that
// moment runs.
func BenchmarkAbandoned32Clients100kTasks(b *testing.B) {
	p := startParkedLoop(b, benchTasks)
	defer p.finish()
	srv := httptest.NewServer(debughttp.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	defer client.CloseIdleConnections()
	var after time.Duration
	for b.Loop() {
		hold := make(chan struct{})
		p.loop.CallSoonThreadsafe(func() { <-hold })
		clients(32, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/", nil)
			if resp, err := client.Do(req); err == nil {
				b.Error("a request was answered while the loop was held")
				resp.Body.Close()
			}
		})
		time.Sleep(10 * time.Millisecond) // for the server to see the clients go
		free := time.Now()
		close(hold)
		reached := make(chan struct{})
		p.loop.CallSoonThreadsafe(func() { close(reached) })
		<-reached
		after += time.Since(free)
	}
	b.ReportMetric(ms(after)/float64(b.N), "after-ms/op")
}

// clients runs fn on n goroutines at once and waits for them.
func clients(n int, fn func()) {
	var wg sync.WaitGroup
	for range n {
		wg.Go(fn)
	}
	wg.Wait()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

package futures_test

import (
	"strconv"
	"sync"
	"testing"

	"github.com/goasyncio/asyncio/futures"
)

// benchWorkers is the worker count of both pools that are compared.
const benchWorkers = 4

func trivial() (int, error) { return 1, nil }

// BenchmarkSubmitResult measures Submit and Result of a trivial function on
// a ThreadPoolExecutor ("futures") against a hand-written pool of as many
// goroutines receiving from a channel, each job with a result channel
// ("goroutines"). window is how many jobs are in flight before their
// results are collected: 1 measures the round trip, 256 the throughput.
func BenchmarkSubmitResult(b *testing.B) {
	for _, window := range []int{1, 256} {
		b.Run("futures/window="+strconv.Itoa(window), func(b *testing.B) {
			benchFutures(b, window)
		})
		b.Run("goroutines/window="+strconv.Itoa(window), func(b *testing.B) {
			benchGoroutines(b, window)
		})
	}
}

func benchFutures(b *testing.B, window int) {
	p := futures.NewThreadPool(benchWorkers)
	defer p.Shutdown(true)
	fs := make([]*futures.Future[int], 0, window)
	b.ReportAllocs()
	for range b.N {
		fs = append(fs, futures.Submit(p, trivial))
		if len(fs) == window {
			for _, f := range fs {
				f.Result()
			}
			fs = fs[:0]
		}
	}
	for _, f := range fs {
		f.Result()
	}
}

type handResult struct {
	v   int
	err error
}

type handJob struct {
	fn  func() (int, error)
	out chan handResult
}

func benchGoroutines(b *testing.B, window int) {
	jobs := make(chan handJob, window)
	var wg sync.WaitGroup
	for range benchWorkers {
		wg.Go(func() {
			for j := range jobs {
				v, err := j.fn()
				j.out <- handResult{v, err}
			}
		})
	}
	defer func() {
		close(jobs)
		wg.Wait()
	}()
	outs := make([]chan handResult, 0, window)
	b.ReportAllocs()
	for range b.N {
		out := make(chan handResult, 1)
		jobs <- handJob{trivial, out}
		outs = append(outs, out)
		if len(outs) == window {
			for _, o := range outs {
				<-o
			}
			outs = outs[:0]
		}
	}
	for _, o := range outs {
		<-o
	}
}

package asyncio_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures"
)

// BenchmarkSpawn creates tasks that each Sleep(ctx, 0) once and return, in
// batches of 100 000 gathered by the main task; ns/op is per task.
func BenchmarkSpawn(b *testing.B) {
	const batch = 100_000
	child := func(ctx context.Context) (int, error) {
		return 1, asyncio.Sleep(ctx, 0)
	}
	_, err := asyncio.Run(func(ctx context.Context) (struct{}, error) {
		tasks := make([]asyncio.Awaitable[int], 0, batch)
		b.ResetTimer()
		for left := b.N; left > 0; left -= batch {
			tasks = tasks[:0]
			for range min(left, batch) {
				tasks = append(tasks, asyncio.CreateTask(ctx, child))
			}
			if _, err := asyncio.Gather(ctx, tasks...); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSpawnCold is BenchmarkSpawn on a fresh loop per batch, so that
// no finished task's coroutine can be reused: the first burst of a program.
func BenchmarkSpawnCold(b *testing.B) {
	const batch = 100_000
	child := func(ctx context.Context) (int, error) {
		return 1, asyncio.Sleep(ctx, 0)
	}
	for b.Loop() {
		_, err := asyncio.Run(func(ctx context.Context) ([]int, error) {
			tasks := make([]asyncio.Awaitable[int], batch)
			for i := range tasks {
				tasks[i] = asyncio.CreateTask(ctx, child)
			}
			return asyncio.Gather(ctx, tasks...)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/task")
}

// pingPong bounces a value between the calling task and a partner task
// through a fresh future each way; ns/op is per round trip.
func pingPong(ctx context.Context, n int) error {
	var ping, pong *asyncio.Future[int]
	ping = asyncio.CreateFuture[int](ctx)
	partner := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
		for {
			v, err := asyncio.Await(ctx, ping)
			if err != nil || v < 0 {
				return v, err
			}
			ping = asyncio.CreateFuture[int](ctx)
			pong.SetResult(v + 1)
		}
	})
	for i := range n {
		pong = asyncio.CreateFuture[int](ctx)
		ping.SetResult(i)
		if _, err := asyncio.Await(ctx, pong); err != nil {
			return err
		}
	}
	ping.SetResult(-1)
	_, err := asyncio.Await(ctx, partner)
	return err
}

// BenchmarkPingPong: the main task and a task, through futures.
func BenchmarkPingPong(b *testing.B) {
	_, err := asyncio.Run(func(ctx context.Context) (struct{}, error) {
		b.ResetTimer()
		return struct{}{}, pingPong(ctx, b.N)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkPingPongTasks: two tasks, neither of them the main task.
func BenchmarkPingPongTasks(b *testing.B) {
	_, err := asyncio.Run(func(ctx context.Context) (struct{}, error) {
		b.ResetTimer()
		t := asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
			return struct{}{}, pingPong(ctx, b.N)
		})
		_, err := asyncio.Await(ctx, t)
		return struct{}{}, err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkFutureAwaitDone: create a future, set its result, await it.
func BenchmarkFutureAwaitDone(b *testing.B) {
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		sum := 0
		for b.Loop() {
			f := asyncio.CreateFuture[int](ctx)
			f.SetResult(1)
			v, _ := asyncio.Await(ctx, f)
			sum += v
		}
		return sum, nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSleepingTasks parks 100 000 tasks in Sleep and reports the memory
// they take: B/task counts heap and goroutine stacks.
func BenchmarkSleepingTasks(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		var before, during runtime.MemStats
		_, err := asyncio.Run(func(ctx context.Context) (struct{}, error) {
			runtime.GC()
			runtime.ReadMemStats(&before)
			tasks := make([]asyncio.Awaitable[struct{}], n)
			for i := range tasks {
				tasks[i] = asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
					return struct{}{}, asyncio.Sleep(ctx, time.Hour)
				})
			}
			asyncio.Sleep(ctx, time.Minute) // all are parked now
			runtime.GC()
			runtime.ReadMemStats(&during)
			_, err := asyncio.Gather(ctx, tasks...)
			return struct{}{}, err
		}, asyncio.WithVirtualClock())
		if err != nil {
			b.Fatal(err)
		}
		used := (during.HeapInuse + during.StackInuse) - (before.HeapInuse + before.StackInuse)
		b.ReportMetric(float64(used)/n, "B/task")
	}
}

// BenchmarkAwaitingTasks parks 100 000 tasks on one future and reports the
// memory they take, as BenchmarkSleepingTasks does: B/task counts heap and
// goroutine stacks, with nothing per task but the task itself.
func BenchmarkAwaitingTasks(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		var before, during runtime.MemStats
		_, err := asyncio.Run(func(ctx context.Context) (int, error) {
			f := asyncio.CreateFuture[int](ctx)
			runtime.GC()
			runtime.ReadMemStats(&before)
			tasks := make([]asyncio.Awaitable[int], n)
			for i := range tasks {
				tasks[i] = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
					return asyncio.Await(ctx, f)
				})
			}
			if err := asyncio.Sleep(ctx, 0); err != nil { // all are parked now
				return 0, err
			}
			runtime.GC()
			runtime.ReadMemStats(&during)
			f.SetResult(1)
			vals, err := asyncio.Gather(ctx, tasks...)
			return len(vals), err
		})
		if err != nil {
			b.Fatal(err)
		}
		used := (during.HeapInuse + during.StackInuse) - (before.HeapInuse + before.StackInuse)
		b.ReportMetric(float64(used)/n, "B/task")
	}
}

// echo returns a task function that answers each value from ping with the
// next one on pong, until a negative value.
func echo(ping, pong *asyncio.Queue[int]) func(context.Context) (int, error) {
	return func(ctx context.Context) (int, error) {
		for {
			v, err := ping.Get(ctx)
			if err != nil || v < 0 {
				return v, err
			}
			pong.PutNowait(v + 1)
		}
	}
}

// BenchmarkQueuePingPong bounces a value between the main task and a task
// through two unbounded queues; ns/op is per round trip.
func BenchmarkQueuePingPong(b *testing.B) {
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		var ping, pong asyncio.Queue[int]
		partner := asyncio.CreateTask(ctx, echo(&ping, &pong))
		for i := 0; b.Loop(); i++ {
			ping.PutNowait(i)
			if _, err := pong.Get(ctx); err != nil {
				return 0, err
			}
		}
		ping.PutNowait(-1)
		return asyncio.Await(ctx, partner)
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkQueuePingPongTasks is BenchmarkQueuePingPong between two tasks
// that are not the main task.
func BenchmarkQueuePingPongTasks(b *testing.B) {
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		var ping, pong asyncio.Queue[int]
		b.ResetTimer()
		partner := asyncio.CreateTask(ctx, echo(&ping, &pong))
		driver := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			for i := range b.N {
				ping.PutNowait(i)
				if _, err := pong.Get(ctx); err != nil {
					return 0, err
				}
			}
			ping.PutNowait(-1)
			return 0, nil
		})
		_, err := asyncio.Gather[int](ctx, partner, driver)
		return 0, err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkLockUncontended acquires and releases a lock no one else wants.
func BenchmarkLockUncontended(b *testing.B) {
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		var l asyncio.Lock
		for b.Loop() {
			if err := l.Acquire(ctx); err != nil {
				return 0, err
			}
			l.Release()
		}
		return 0, nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkRunInExecutor runs trivial functions on 8 workers, in batches of
// 100 000 awaited through Gather; ns/op is per call.
func BenchmarkRunInExecutor(b *testing.B) {
	const batch = 100_000
	pool := futures.NewThreadPool(8)
	defer pool.Shutdown(true)
	trivial := func() (int, error) { return 1, nil }
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		fs := make([]asyncio.Awaitable[int], 0, batch)
		b.ResetTimer()
		for left := b.N; left > 0; left -= batch {
			fs = fs[:0]
			for range min(left, batch) {
				fs = append(fs, asyncio.RunInExecutor(ctx, pool, trivial))
			}
			if _, err := asyncio.Gather(ctx, fs...); err != nil {
				return 0, err
			}
		}
		return 0, nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

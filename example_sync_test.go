package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio"
)

// A producer and two consumers share a bounded queue: the producer waits
// whenever the queue is full, the consumers whenever it is empty, and Join
// returns once every item has been processed.
func ExampleQueue() {
	asyncio.Run(func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx) // l.Time() reads its virtual clock
		q := asyncio.NewQueue[int](2)
		consumer := func(name string) func(context.Context) (int, error) {
			return func(ctx context.Context) (int, error) {
				for {
					item, err := q.Get(ctx)
					if err != nil {
						return 0, err // shut down
					}
					asyncio.Sleep(ctx, time.Second) // process it
					fmt.Printf("%s processed %d at %s\n", name, item, l.Time())
					q.TaskDone()
				}
			}
		}
		a := asyncio.CreateTask(ctx, consumer("a"))
		b := asyncio.CreateTask(ctx, consumer("b"))
		for item := range 5 {
			if err := q.Put(ctx, item); err != nil {
				return 0, err
			}
		}
		q.Join(ctx)
		q.Shutdown(false)
		_, _, err := asyncio.GatherReturnErrors[int](ctx, a, b)
		fmt.Println("all processed at", l.Time())
		return 0, err
	}, asyncio.WithVirtualClock())
	// Output:
	// a processed 0 at 1s
	// b processed 1 at 1s
	// a processed 2 at 2s
	// b processed 3 at 2s
	// a processed 4 at 3s
	// all processed at 3s
}

// A semaphore as a rate limit: of ten downloads, at most three run at once,
// so they take four rounds of one second.
func ExampleSemaphore() {
	asyncio.Run(func(ctx context.Context) ([]string, error) {
		l, _ := asyncio.GetRunningLoop(ctx) // l.Time() reads its virtual clock
		limit := asyncio.NewSemaphore(3)
		var tasks []asyncio.Awaitable[string]
		for i := range 10 {
			tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) {
				if err := limit.Acquire(ctx); err != nil {
					return "", err
				}
				defer limit.Release()
				started := l.Time()
				err := asyncio.Sleep(ctx, time.Second) // the download
				return fmt.Sprintf("file %d started at %s", i, started), err
			}))
		}
		results, err := asyncio.Gather(ctx, tasks...)
		for _, r := range results {
			fmt.Println(r)
		}
		fmt.Println("done at", l.Time())
		return results, err
	}, asyncio.WithVirtualClock())
	// Output:
	// file 0 started at 0s
	// file 1 started at 0s
	// file 2 started at 0s
	// file 3 started at 1s
	// file 4 started at 1s
	// file 5 started at 1s
	// file 6 started at 2s
	// file 7 started at 2s
	// file 8 started at 2s
	// file 9 started at 3s
	// done at 4s
}

// A group in which one child fails: the group cancels its siblings, and
// Group returns the failure once every child has stopped.
func ExampleGroup() {
	asyncio.Run(func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx) // l.Time() reads its virtual clock
		err := asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
			g.Go(func(ctx context.Context) error {
				if err := asyncio.Sleep(ctx, time.Hour); err != nil {
					fmt.Println("slow download cancelled at", l.Time())
					return err
				}
				return nil
			})
			g.Go(func(ctx context.Context) error {
				asyncio.Sleep(ctx, time.Second)
				return errors.New("host not found")
			})
			return nil
		})
		fmt.Println("Group:", err)
		return 0, nil
	}, asyncio.WithVirtualClock())
	// Output:
	// slow download cancelled at 1s
	// Group: host not found
}

// A timeout scope bounds a block of work; the code inside sees ErrCancelled
// at its pending await, and Timeout reports ErrTimeout.
func ExampleTimeout() {
	asyncio.Run(func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx) // l.Time() reads its virtual clock
		err := asyncio.Timeout(ctx, 2*time.Second, func(ctx context.Context) error {
			return asyncio.Sleep(ctx, time.Hour)
		})
		fmt.Println(err, errors.Is(err, context.DeadlineExceeded), "at", l.Time())
		return 0, nil
	}, asyncio.WithVirtualClock())
	// Output:
	// asyncio: timeout true at 2s
}

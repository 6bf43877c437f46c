package asyncio_test

import (
	"context"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio"
)

// The event loop of the tutorial's §3.1: it runs whatever is ready, in the
// order it became ready, waits for timers when nothing is, and stops when
// told to. Under the virtual clock the 2s wait takes no real time.
func ExampleLoop() {
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	l.CallSoon(func() { fmt.Println("ready: job 1") })
	l.CallLater(2*time.Second, func() {
		fmt.Println("timer: job 3 at", l.Time())
		l.Stop()
	})
	l.CallSoon(func() { fmt.Println("ready: job 2") })
	if err := l.RunForever(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("loop stopped at", l.Time())
	// Output:
	// ready: job 1
	// ready: job 2
	// timer: job 3 at 2s
	// loop stopped at 2s
}

// The tutorial's §1.3: two coroutines put in tasks and run on an explicitly
// made loop until both complete. While one waits, the other runs, so the
// output is 1 3 2 4 and the whole takes 2s, not 4s. Python's deprecated
// @asyncio.coroutine and `yield from` are plain Go functions and Sleep here.
func ExampleRunUntilComplete() {
	// printer returns a coroutine function that prints a, waits d, and prints b.
	printer := func(a, b int, d time.Duration) func(context.Context) (struct{}, error) {
		return func(ctx context.Context) (struct{}, error) {
			fmt.Println(a)
			err := asyncio.Sleep(ctx, d) // stands for network I/O, such as downloading a picture
			fmt.Println(b)
			return struct{}{}, err
		}
	}
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) ([]struct{}, error) {
		return asyncio.Gather(ctx,
			asyncio.CreateTask(ctx, printer(1, 2, 2*time.Second)),
			asyncio.CreateTask(ctx, printer(3, 4, 2*time.Second)))
	})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("took", l.Time())
	// Output:
	// 1
	// 3
	// 2
	// 4
	// took 2s
}

// The tutorial's §1.4: the same with async/await, tasks made on a new loop
// and run until asyncio.wait says both are done.
func ExampleWait() {
	// printer returns a coroutine function that prints a, waits d, and prints b.
	printer := func(a, b int, d time.Duration) func(context.Context) (struct{}, error) {
		return func(ctx context.Context) (struct{}, error) {
			fmt.Println(a)
			err := asyncio.Sleep(ctx, d) // stands for network I/O, such as downloading a picture
			fmt.Println(b)
			return struct{}{}, err
		}
	}
	l := asyncio.NewLoop(asyncio.WithVirtualClock())
	defer l.Close()
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		tasks := []asyncio.Waiter{
			asyncio.CreateTask(ctx, printer(1, 2, time.Second)),
			asyncio.CreateTask(ctx, printer(3, 4, time.Second)),
		}
		done, _, err := asyncio.Wait(ctx, tasks, asyncio.AllCompleted, 0)
		return len(done), err
	})
	if err != nil {
		fmt.Println(err)
	}
	fmt.Println("took", l.Time())
	// Output:
	// 1
	// 3
	// 2
	// 4
	// took 1s
}

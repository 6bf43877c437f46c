package asyncio_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/goasyncio/asyncio"
)

// awaitForever awaits a future that nothing will ever resolve.
func awaitForever(ctx context.Context) (string, error) {
	future := asyncio.CreateFuture[string](ctx) // tied to no coroutine: nothing sets it
	return asyncio.Await(ctx, future)
}

// The tutorial's §3.5, example 1: awaiting a future that nobody resolves
// waits forever in Python. Under the virtual clock the loop sees that
// nothing can ever resolve it and returns ErrDeadlock, naming the stuck
// task and what it awaits.
func ExampleFuture_neverResolved() {
	_, err := asyncio.Run(awaitForever, asyncio.WithVirtualClock())
	fmt.Println(errors.Is(err, asyncio.ErrDeadlock))
	fmt.Println(err)
	// Output:
	// true
	// asyncio: deadlock: no task can make progress and nothing can wake the loop (no callbacks, timers or executor work):
	// 	Task-1 asyncio_test.awaitForever: suspended (age 0s), awaiting a future
}

// The tutorial's §3.5, example 2: once the future has a result, awaiting it
// returns the result at once.
func ExampleFuture_SetResult() {
	asyncio.Run(func(ctx context.Context) (string, error) {
		future := asyncio.CreateFuture[string](ctx)
		future.SetResult("666")
		result, err := asyncio.Await(ctx, future)
		fmt.Println(result)
		return result, err
	})
	// Output:
	// 666
}

// futureSetResult gives the future its result.
func futureSetResult(future *asyncio.Future[string]) func(context.Context) (struct{}, error) {
	return func(ctx context.Context) (struct{}, error) {
		future.SetResult("666")
		return struct{}{}, nil
	}
}

// The tutorial's §3.5, example 3: a task resolves the future that main
// then awaits; this is how tasks pass results to one another.
func ExampleFuture() {
	asyncio.Run(func(ctx context.Context) (string, error) {
		future := asyncio.CreateFuture[string](ctx)
		if _, err := asyncio.Await(ctx, asyncio.CreateTask(ctx, futureSetResult(future))); err != nil {
			return "", err
		}
		result, err := asyncio.Await(ctx, future)
		fmt.Println(result)
		return result, err
	})
	// Output:
	// 666
}

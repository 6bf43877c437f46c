package asyncio_test

import (
	"context"
	"fmt"

	"github.com/goasyncio/asyncio"
)

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

// The tutorial's §3.5, example 3: a task resolves the future that main
// then awaits; this is how tasks pass results to one another.
func ExampleFuture() {
	asyncio.Run(func(ctx context.Context) (string, error) {
		future := asyncio.CreateFuture[string](ctx)
		setResult := func(ctx context.Context) (struct{}, error) {
			future.SetResult("666")
			return struct{}{}, nil
		}
		if _, err := asyncio.Await(ctx, asyncio.CreateTask(ctx, setResult)); err != nil {
			return "", err
		}
		result, err := asyncio.Await(ctx, future)
		fmt.Println(result)
		return result, err
	})
	// Output:
	// 666
}

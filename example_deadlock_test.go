package asyncio_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/goasyncio/asyncio"
)

// awaitForever awaits a future that nothing will ever resolve. It is
// declared here, not in the example, because the deadlock error names it.
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

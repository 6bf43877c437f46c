//go:build unix

package asyncio_test

import (
	"context"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/goasyncio/asyncio"
)

// Graceful shutdown on a signal. The handler runs on the loop, like any
// callback, so it may set an Event that the main task waits for; main then
// cancels the worker and waits while it finishes cleanly. A service would
// handle SIGTERM, which its manager sends; the example sends itself
// SIGUSR1, as `kill -USR1` would from outside.
func ExampleLoop_AddSignalHandler() {
	_, err := asyncio.Run(func(ctx context.Context) (struct{}, error) {
		l, err := asyncio.GetRunningLoop(ctx)
		if err != nil {
			return struct{}{}, err
		}
		var stop asyncio.Event
		err = l.AddSignalHandler(syscall.SIGUSR1, func() {
			fmt.Println("got SIGUSR1: shutting down")
			stop.Set()
		})
		if err != nil {
			return struct{}{}, err
		}
		defer l.RemoveSignalHandler(syscall.SIGUSR1)

		worker := asyncio.CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
			fmt.Println("worker: serving")
			err := asyncio.Sleep(ctx, time.Hour) // stands for serving requests
			fmt.Println("worker: closing connections")
			return struct{}{}, err
		})
		if err := syscall.Kill(os.Getpid(), syscall.SIGUSR1); err != nil {
			return struct{}{}, err
		}
		if err := stop.Wait(ctx); err != nil {
			return struct{}{}, err
		}
		worker.Cancel()
		_, err = asyncio.Await(ctx, worker)
		fmt.Println("worker ended:", err)
		return struct{}{}, nil
	})
	fmt.Println("Run returned:", err)
	// Output:
	// worker: serving
	// got SIGUSR1: shutting down
	// worker: closing connections
	// worker ended: asyncio: cancelled
	// Run returned: <nil>
}

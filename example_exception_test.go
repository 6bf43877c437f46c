package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio"
)

// download is a coroutine function that fails. It is declared here, not in
// the example, because the report names it: a function literal would be
// reported as asyncio_test.Example_neverRetrieved.func1.
func download(ctx context.Context) (int, error) { return 0, errors.New("connection refused") }

// The tutorial's §3.2 warns that a coroutine nobody awaits is reported
// ("coroutine 'func' was never awaited"). Calling a Go function always runs
// it, so the Go counterpart is a task whose error nobody looks at: when the
// loop closes, the exception handler reports it, as asyncio logs "Task
// exception was never retrieved".
func Example_neverRetrieved() {
	report := asyncio.WithExceptionHandler(func(e *asyncio.Exception) {
		fmt.Println(e.Message)
		fmt.Println(e.Future)
	})
	asyncio.Run(func(ctx context.Context) (int, error) {
		asyncio.CreateTask(ctx, download, asyncio.WithName("forgotten"))
		return 0, asyncio.Sleep(ctx, time.Second)
	}, report, asyncio.WithVirtualClock())
	// Output:
	// Task exception was never retrieved
	// <Task finished name='forgotten' coro=<asyncio_test.download> exception="connection refused">
}

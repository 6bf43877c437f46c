package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio"
)

// hello is a coroutine function: a function of a ctx that may await.
func hello(ctx context.Context) (struct{}, error) {
	fmt.Println("hello world")
	return struct{}{}, nil
}

// The tutorial's §3.2: a coroutine function runs when a loop runs it, here
// with Run, the counterpart of asyncio.run(func()).
func ExampleRun() {
	if _, err := asyncio.Run(hello); err != nil {
		fmt.Println(err)
	}
	// Output:
	// hello world
}

// The tutorial's §3.2 again, with a loop made by hand, the counterpart of
// new_event_loop() and loop.run_until_complete(func()).
func ExampleNewLoop() {
	l := asyncio.NewLoop()
	defer l.Close()
	if _, err := asyncio.RunUntilComplete(l, hello); err != nil {
		fmt.Println(err)
	}
	// Output:
	// hello world
}

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

func download(ctx context.Context) (int, error) { return 0, errors.New("connection refused") }

// other prints, waits 2s as if for I/O, prints again and returns a value.
func other(ctx context.Context) (string, error) {
	fmt.Println("开始")
	if err := asyncio.Sleep(ctx, 2*time.Second); err != nil {
		return "", err
	}
	fmt.Println("结束")
	return "返回值", nil
}

// The tutorial's §3.3, example 1: awaiting Sleep suspends the coroutine for
// 2s of loop time.
func ExampleSleep() {
	asyncio.Run(func(ctx context.Context) (string, error) {
		v, err := other(ctx)
		fmt.Println("after", now(ctx))
		return v, err
	}, asyncio.WithVirtualClock())
	// Output:
	// 开始
	// 结束
	// after 2s
}

// The tutorial's §3.3, example 2: `response = await other()` is a plain call
// in Go. other runs inside the calling task, which is suspended during the
// I/O while the loop may run other tasks, and its return value is the
// result.
func Example_awaitCoroutine() {
	asyncio.Run(func(ctx context.Context) (struct{}, error) {
		fmt.Println("开始执行协程内部代码")
		response, err := other(ctx)
		fmt.Println("IO请求结束,结果为:", response)
		return struct{}{}, err
	}, asyncio.WithVirtualClock())
	// Output:
	// 开始执行协程内部代码
	// 开始
	// 结束
	// IO请求结束,结果为: 返回值
}

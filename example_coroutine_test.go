package asyncio_test

import (
	"context"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio"
)

// The tutorial's §3.2: a coroutine function runs when a loop runs it, here
// with Run, the counterpart of asyncio.run(func()).
func ExampleRun() {
	// hello is a coroutine function: a function of a ctx that may await.
	hello := func(ctx context.Context) (struct{}, error) {
		fmt.Println("hello world")
		return struct{}{}, nil
	}
	if _, err := asyncio.Run(hello); err != nil {
		fmt.Println(err)
	}
	// Output:
	// hello world
}

// The tutorial's §3.2 again, with a loop made by hand, the counterpart of
// new_event_loop() and loop.run_until_complete(func()).
func ExampleNewLoop() {
	// hello is a coroutine function: a function of a ctx that may await.
	hello := func(ctx context.Context) (struct{}, error) {
		fmt.Println("hello world")
		return struct{}{}, nil
	}
	l := asyncio.NewLoop()
	defer l.Close()
	if _, err := asyncio.RunUntilComplete(l, hello); err != nil {
		fmt.Println(err)
	}
	// Output:
	// hello world
}

// The tutorial's §3.3, example 1: awaiting Sleep suspends the coroutine for
// 2s of loop time.
func ExampleSleep() {
	// other prints, waits 2s as if for I/O, prints again and returns a value.
	other := func(ctx context.Context) (string, error) {
		fmt.Println("开始")
		if err := asyncio.Sleep(ctx, 2*time.Second); err != nil {
			return "", err
		}
		fmt.Println("结束")
		return "返回值", nil
	}
	asyncio.Run(func(ctx context.Context) (string, error) {
		v, err := other(ctx)
		l, _ := asyncio.GetRunningLoop(ctx)
		fmt.Println("after", l.Time())
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
	// other prints, waits 2s as if for I/O, prints again and returns a value.
	other := func(ctx context.Context) (string, error) {
		fmt.Println("开始")
		if err := asyncio.Sleep(ctx, 2*time.Second); err != nil {
			return "", err
		}
		fmt.Println("结束")
		return "返回值", nil
	}
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

package asyncio_test

import (
	"context"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio"
)

// job is the coroutine function of the tutorial's §3.4. It is declared here,
// not in the example, because the printed tasks name it.
func job(ctx context.Context) (string, error) {
	fmt.Println(1)
	if err := asyncio.Sleep(ctx, 2*time.Second); err != nil {
		return "", err
	}
	fmt.Println(2)
	return "返回值", nil
}

// The tutorial's §3.4, example 2: Wait splits the tasks into done and
// pending. The tasks are Task-2 and Task-3 because main is Task-1.
func ExampleWait_tasks() {
	asyncio.Run(func(ctx context.Context) (struct{}, error) {
		fmt.Println("main开始")
		tasks := []asyncio.Waiter{
			asyncio.CreateTask(ctx, job),
			asyncio.CreateTask(ctx, job),
		}
		fmt.Println("main结束")

		done, pending, err := asyncio.Wait(ctx, tasks, asyncio.AllCompleted, 0)
		fmt.Println(done)
		fmt.Println("--------------------------------------------------")
		fmt.Println(pending)
		l, _ := asyncio.GetRunningLoop(ctx)
		fmt.Println(l.Time())
		return struct{}{}, err
	}, asyncio.WithVirtualClock())
	// Output:
	// main开始
	// main结束
	// 1
	// 1
	// 2
	// 2
	// [<Task finished name='Task-2' coro=<asyncio_test.job> result="返回值"> <Task finished name='Task-3' coro=<asyncio_test.job> result="返回值">]
	// --------------------------------------------------
	// []
	// 2s
}

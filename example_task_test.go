package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio"
)

// The tutorial's §3.4, example 1: CreateTask schedules a coroutine on the
// loop without running it; the tasks run once main awaits, and while one
// sleeps the other runs, so both finish after 2s, not 4s.
func ExampleCreateTask() {
	// job is the coroutine function of the tutorial's §3.4.
	job := func(ctx context.Context) (string, error) {
		fmt.Println(1)
		if err := asyncio.Sleep(ctx, 2*time.Second); err != nil {
			return "", err
		}
		fmt.Println(2)
		return "返回值", nil
	}
	asyncio.Run(func(ctx context.Context) (struct{}, error) {
		l, _ := asyncio.GetRunningLoop(ctx) // l.Time() reads its virtual clock
		start := l.Time()
		fmt.Println("main开始")
		task1 := asyncio.CreateTask(ctx, job)
		task2 := asyncio.CreateTask(ctx, job) // the loop now holds task1 and task2
		fmt.Println("main结束")

		res1, err := asyncio.Await(ctx, task1)
		if err != nil {
			return struct{}{}, err
		}
		res2, err := asyncio.Await(ctx, task2)
		if err != nil {
			return struct{}{}, err
		}
		fmt.Println(res1, res2)
		fmt.Println("from", start, "to", l.Time())
		return struct{}{}, nil
	}, asyncio.WithVirtualClock())
	// Output:
	// main开始
	// main结束
	// 1
	// 1
	// 2
	// 2
	// 返回值 返回值
	// from 0s to 2s
}

// The tutorial's §3.4, example 2 continued: tasks can be named, and the
// result of a done task is read with Result. The coro of a task is the name
// Go gives its function, here the first literal of ExampleWithName.
func ExampleWithName() {
	// job is the coroutine function of the tutorial's §3.4.
	job := func(ctx context.Context) (string, error) {
		fmt.Println(1)
		if err := asyncio.Sleep(ctx, 2*time.Second); err != nil {
			return "", err
		}
		fmt.Println(2)
		return "返回值", nil
	}
	asyncio.Run(func(ctx context.Context) (struct{}, error) {
		tasks := []asyncio.Waiter{
			asyncio.CreateTask(ctx, job, asyncio.WithName("n1")),
			asyncio.CreateTask(ctx, job, asyncio.WithName("n2")),
		}
		done, _, err := asyncio.Wait(ctx, tasks, asyncio.AllCompleted, 0)
		fmt.Println(done)
		for _, w := range done {
			res, _ := w.(*asyncio.Task[string]).Result()
			fmt.Println(res)
		}
		return struct{}{}, err
	}, asyncio.WithVirtualClock())
	// Output:
	// 1
	// 1
	// 2
	// 2
	// [<Task finished name='n1' coro=<asyncio_test.ExampleWithName.func1> result="返回值"> <Task finished name='n2' coro=<asyncio_test.ExampleWithName.func1> result="返回值">]
	// 返回值
	// 返回值
}

// The tutorial's §3.4, example 3: a task can only be made on a running loop.
// Outside one, CreateTask panics with ErrNoRunningLoop, the counterpart of
// "RuntimeError: no running event loop".
func ExampleCreateTask_noRunningLoop() {
	defer func() {
		err := recover().(error)
		fmt.Println(errors.Is(err, asyncio.ErrNoRunningLoop))
		fmt.Println(err)
	}()
	job := func(ctx context.Context) (string, error) { return "返回值", nil }
	asyncio.CreateTask(context.Background(), job, asyncio.WithName("n1")) // no loop runs yet
	// Output:
	// true
	// asyncio: no running event loop: CreateTask needs the ctx of a task of a running loop; start the work with Run or RunUntilComplete and pass on the ctx the task function receives
}

// The tutorial's §3.4, example 3, the way that works: prepare the coroutine
// functions outside the loop, and make them tasks once it runs.
func ExampleWait_prepared() {
	// job is the coroutine function of the tutorial's §3.4.
	job := func(ctx context.Context) (string, error) {
		fmt.Println(1)
		if err := asyncio.Sleep(ctx, 2*time.Second); err != nil {
			return "", err
		}
		fmt.Println(2)
		return "返回值", nil
	}
	funcs := []func(context.Context) (string, error){job, job}
	asyncio.Run(func(ctx context.Context) (int, error) {
		var tasks []asyncio.Waiter
		for _, f := range funcs {
			tasks = append(tasks, asyncio.CreateTask(ctx, f))
		}
		done, _, err := asyncio.Wait(ctx, tasks, asyncio.AllCompleted, 0)
		l, _ := asyncio.GetRunningLoop(ctx)
		fmt.Println(len(done), "done at", l.Time())
		return len(done), err
	}, asyncio.WithVirtualClock())
	// Output:
	// 1
	// 1
	// 2
	// 2
	// 2 done at 2s
}

package asyncio_test

import (
	"context"
	"fmt"
	"time"

	"github.com/goasyncio/asyncio"
)

// images are the three pictures of the tutorial's §2; fetching each takes
// 250ms of (virtual) network time.
var images = []string{"https://example.com/a.jpg", "https://example.com/b.jpg", "https://example.com/c.jpg"}

const latency = 250 * time.Millisecond

// downloadImage stands for fetching and saving one picture; the network wait
// is a Sleep, so that the example runs in virtual time. The real thing, over
// HTTP, is cmd/aiofetch --demo.
func downloadImage(ctx context.Context, n int) (string, error) {
	fmt.Printf("开始爬取%s...\n", images[n])
	if err := asyncio.Sleep(ctx, latency); err != nil {
		return "", err
	}
	name := fmt.Sprintf("./images/%d.png", n+1)
	fmt.Printf("下载%s完成\n", name)
	return name, nil
}

// The tutorial's §2: three pictures downloaded one after the other take
// three times the network wait; downloaded as three tasks, they take it
// once, so the asynchronous run takes a third of the time.
func Example_downloadImages() {
	asyncio.Run(func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		start := l.Time()
		for n := range images {
			downloadImage(ctx, n)
		}
		syncTook := l.Time() - start
		fmt.Println("同步耗时:", syncTook)

		start = l.Time()
		var tasks []asyncio.Waiter
		for n := range images {
			tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) {
				return downloadImage(ctx, n)
			}))
		}
		_, _, err := asyncio.Wait(ctx, tasks, asyncio.AllCompleted, 0)
		asyncTook := l.Time() - start
		fmt.Println("异步耗时:", asyncTook)
		fmt.Printf("异步/同步: 1/%d\n", syncTook/asyncTook)
		return 0, err
	}, asyncio.WithVirtualClock())
	// Output:
	// 开始爬取https://example.com/a.jpg...
	// 下载./images/1.png完成
	// 开始爬取https://example.com/b.jpg...
	// 下载./images/2.png完成
	// 开始爬取https://example.com/c.jpg...
	// 下载./images/3.png完成
	// 同步耗时: 750ms
	// 开始爬取https://example.com/a.jpg...
	// 开始爬取https://example.com/b.jpg...
	// 开始爬取https://example.com/c.jpg...
	// 下载./images/1.png完成
	// 下载./images/2.png完成
	// 下载./images/3.png完成
	// 异步耗时: 250ms
	// 异步/同步: 1/3
}

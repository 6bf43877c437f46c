package asyncio_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/goasyncio/asyncio"
)

// The tutorial's §3.5补充, example 2: RunInExecutor with a nil executor runs
// a blocking function on the loop's default thread pool and returns an
// asyncio Future for its result, which the task awaits.
func ExampleRunInExecutor() {
	// blocking stands for a plain function that blocks, like time.sleep(2)
	// in the tutorial: it must not run on the loop.
	blocking := func() (string, error) {
		time.Sleep(2 * time.Millisecond)
		return "something", nil
	}
	asyncio.Run(func(ctx context.Context) (string, error) {
		future := asyncio.RunInExecutor(ctx, nil, blocking)
		result, err := asyncio.Await(ctx, future)
		fmt.Println("default thread pool", result)
		return result, err
	})
	// Output:
	// default thread pool something
}

// The tutorial's §3.5补充, case 1: a library that does not know the loop
// (requests there, net/http here) used from tasks through RunInExecutor; the
// three requests run at once on the thread pool.
func ExampleRunInExecutor_blockingLibrary() {
	// A local HTTP server stands for the three web sites of the tutorial,
	// so that the example needs no network.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "welcome to", r.URL.Path)
	}))
	defer srv.Close()
	urls := []string{srv.URL + "/baidu", srv.URL + "/taobao", srv.URL + "/jd"}

	// get is the blocking library call: net/http in place of requests.get.
	get := func(ctx context.Context, url string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		return resp, resp.Body.Close()
	}
	// scrapeAPI fetches url on the default thread pool, as the tutorial's
	// scrape_api does with run_in_executor.
	scrapeAPI := func(ctx context.Context, url string) (*http.Response, error) {
		fut := asyncio.RunInExecutor(ctx, nil, func() (*http.Response, error) { return get(ctx, url) })
		return asyncio.Await(ctx, fut)
	}
	asyncio.Run(func(ctx context.Context) (int, error) {
		var tasks []asyncio.Waiter
		for _, url := range urls {
			tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (*http.Response, error) {
				return scrapeAPI(ctx, url)
			}))
		}
		done, _, err := asyncio.Wait(ctx, tasks, asyncio.AllCompleted, 0)
		for _, task := range done {
			resp, _ := task.(*asyncio.Task[*http.Response]).Result()
			fmt.Println(resp.Status, resp.Request.URL.Path)
		}
		return len(done), err
	})
	// Output:
	// 200 OK /baidu
	// 200 OK /taobao
	// 200 OK /jd
}

// The tutorial's §3.5补充, case 2: the same with ToThread, one task per
// request; the result of each done task is the response.
func ExampleToThread() {
	// A local HTTP server stands for the three web sites of the tutorial,
	// so that the example needs no network.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "welcome to", r.URL.Path)
	}))
	defer srv.Close()
	urls := []string{srv.URL + "/baidu", srv.URL + "/taobao", srv.URL + "/jd"}

	// get is the blocking library call: net/http in place of requests.get.
	get := func(ctx context.Context, url string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		return resp, resp.Body.Close()
	}
	asyncio.Run(func(ctx context.Context) (int, error) {
		var tasks []asyncio.Waiter
		for _, url := range urls {
			tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (*http.Response, error) {
				return asyncio.ToThread(ctx, func() (*http.Response, error) { return get(ctx, url) })
			}))
		}
		done, _, err := asyncio.Wait(ctx, tasks, asyncio.AllCompleted, 0)
		for _, task := range done {
			resp, _ := task.(*asyncio.Task[*http.Response]).Result()
			fmt.Println(resp.Request.URL.Path)
		}
		return len(done), err
	})
	// Output:
	// /baidu
	// /taobao
	// /jd
}

// The tutorial's §3.5补充, case 2 written the other way: the coroutine
// function awaits ToThread itself, and main awaits the tasks.
func ExampleToThread_inCoroutine() {
	// A local HTTP server stands for the three web sites of the tutorial,
	// so that the example needs no network.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "welcome to", r.URL.Path)
	}))
	defer srv.Close()
	urls := []string{srv.URL + "/baidu", srv.URL + "/taobao", srv.URL + "/jd"}

	// get is the blocking library call: net/http in place of requests.get.
	get := func(ctx context.Context, url string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
		if err != nil {
			return nil, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		return resp, resp.Body.Close()
	}
	scrape := func(ctx context.Context, url string) (*http.Response, error) {
		return asyncio.ToThread(ctx, func() (*http.Response, error) { return get(ctx, url) })
	}
	asyncio.Run(func(ctx context.Context) (int, error) {
		var tasks []asyncio.Awaitable[*http.Response]
		for _, url := range urls {
			tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (*http.Response, error) {
				return scrape(ctx, url)
			}))
		}
		responses, err := asyncio.Gather(ctx, tasks...)
		for _, resp := range responses {
			fmt.Println(resp.Request.URL.Path)
		}
		return len(responses), err
	})
	// Output:
	// /baidu
	// /taobao
	// /jd
}

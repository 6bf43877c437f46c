package futures_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/goasyncio/asyncio/futures"
)

// The tutorial's §3.5 supplement, example 1: a pool of five workers gets
// ten jobs. Printed right after Submit, the first five futures are running,
// since a worker took each at once, and the other five pending in the queue.
// Where Python's jobs sleep two seconds, these wait until all ten are
// submitted, which makes the states certain; the addresses are masked, as
// they change from run to run.
func ExampleThreadPoolExecutor() {
	// address matches the varying part of a future's String.
	address := regexp.MustCompile(`0x[0-9a-f]+`)

	pool := futures.NewThreadPool(5)
	defer pool.Shutdown(true)

	submitted := make(chan struct{})
	job := func(value int) func() (int, error) {
		return func() (int, error) {
			<-submitted // Python: time.sleep(2)
			return value, nil
		}
	}
	var fs []*futures.Future[int]
	for i := range 10 {
		future := futures.Submit(pool, job(i))
		fs = append(fs, future)
		fmt.Println(address.ReplaceAllString(future.String(), "0x..."))
	}
	close(submitted)

	// The jobs finish in no particular order, as Python's print shows;
	// collected as they complete and sorted, all ten values are there.
	var values []int
	for future := range futures.AsCompleted(context.Background(), fs) {
		v, _ := future.Result()
		values = append(values, v)
	}
	slices.Sort(values)
	fmt.Println(values)
	// Output:
	// <Future at 0x... state=running>
	// <Future at 0x... state=running>
	// <Future at 0x... state=running>
	// <Future at 0x... state=running>
	// <Future at 0x... state=running>
	// <Future at 0x... state=pending>
	// <Future at 0x... state=pending>
	// <Future at 0x... state=pending>
	// <Future at 0x... state=pending>
	// <Future at 0x... state=pending>
	// [0 1 2 3 4 5 6 7 8 9]
}

// Map runs a function over its arguments on the pool's workers, all at
// once, and yields the results in the order of the arguments.
func ExampleMap() {
	pool := futures.NewThreadPool(4)
	defer pool.Shutdown(true)
	words := []string{"event", "loop", "future", "task"}
	upper := func(s string) (string, error) { return strings.ToUpper(s), nil }
	for word, err := range futures.Map(pool, upper, slices.Values(words)) {
		fmt.Println(word, err)
	}
	// Output:
	// EVENT <nil>
	// LOOP <nil>
	// FUTURE <nil>
	// TASK <nil>
}

// Wait with FirstException returns as soon as one future fails, leaving the
// others to run; here the caller then cancels what has not started.
func ExampleWait() {
	pool := futures.NewThreadPool(1)
	defer pool.Shutdown(true)
	check := func(n int) func() (int, error) {
		return func() (int, error) {
			if n == 2 {
				return 0, errors.New("2 is bad")
			}
			return n, nil
		}
	}
	var fs []*futures.Future[int]
	for n := range 5 {
		fs = append(fs, futures.Submit(pool, check(n)))
	}
	done, notDone := futures.Wait(fs, 0, futures.FirstException)
	for _, f := range notDone {
		f.Cancel() // false if it started meanwhile
	}
	for _, f := range done {
		if _, err := f.Result(); err != nil {
			fmt.Println("failed:", err)
		}
	}
	// Output:
	// failed: 2 is bad
}

// A zero Future is a result that the caller produces itself: SetRunning
// shuts out Cancel, SetResult wakes the waiters and runs the callbacks.
func ExampleFuture_SetResult() {
	var f futures.Future[string]
	f.AddDoneCallback(func(f *futures.Future[string]) {
		v, _ := f.Result()
		fmt.Println("callback:", v)
	})
	produced := make(chan struct{})
	go func() {
		defer close(produced)
		if f.SetRunning() {
			f.SetResult("ready")
		}
	}()
	v, err := f.ResultTimeout(time.Minute)
	// Result returns once f is done, maybe before the callbacks, which
	// run on the producer's goroutine before SetResult returns.
	<-produced
	fmt.Println("result:", v, err)
	// Output:
	// callback: ready
	// result: ready <nil>
}

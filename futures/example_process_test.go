//go:build unix

package futures_test

import (
	"fmt"

	"github.com/goasyncio/asyncio/futures"
)

// cube runs in worker processes: it is registered while the package is
// initialized, which happens in every worker too.
var cube = futures.Register("example.cube", func(x int) (int, error) {
	return x * x * x, nil
})

// A process pool runs registered functions in copies of the program. The
// program's main, and a test binary's TestMain, begins with
// futures.ServeIfWorker(), which turns those copies into workers.
func ExampleCall() {
	pool := futures.NewProcessPool(2)
	defer pool.Shutdown(true)
	var fs []*futures.Future[int]
	for x := range 5 {
		fs = append(fs, futures.Call(pool, cube, x))
	}
	for _, f := range fs {
		v, err := f.Result()
		fmt.Println(v, err)
	}
	// Output:
	// 0 <nil>
	// 1 <nil>
	// 8 <nil>
	// 27 <nil>
	// 64 <nil>
}

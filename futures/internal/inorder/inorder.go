// Package inorder yields the results of futures in the order they were
// made, as the Map functions of package futures and futures/cluster do.
package inorder

// A future is what Yield waits on: a *futures.Future.
type future[R any] interface {
	Result() (R, error)
	Cancel() bool
}

// Yield passes the result of each future of fs to yield in turn, waiting
// for each. If yield returns false, Yield cancels the futures it has not
// passed on, and returns.
func Yield[R any, F future[R]](fs []F, yield func(R, error) bool) {
	next := 0
	defer func() {
		for _, f := range fs[next:] {
			f.Cancel()
		}
	}()
	for next < len(fs) {
		v, err := fs[next].Result()
		next++
		if !yield(v, err) {
			return
		}
	}
}

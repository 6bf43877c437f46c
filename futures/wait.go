package futures

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// A Waitable is a future as Wait and AsCompleted see it, whatever its
// result type: *Future[T] implements it for every T, so one []Waitable can
// hold futures of different types. The interface is sealed: only this
// package's futures implement it.
type Waitable interface {
	// Done reports whether the future is finished or cancelled.
	Done() bool
	// State returns the future's state.
	State() State
	// Cancel cancels the future if it is pending; see Future.Cancel.
	Cancel() bool

	futureCore() *core
}

// ReturnWhen says when Wait returns.
type ReturnWhen int

const (
	// FirstCompleted: when any future is done.
	FirstCompleted ReturnWhen = iota + 1
	// FirstException: when any future finishes with an error, or when all
	// are done. Cancelled futures do not count as errors, as in Python.
	FirstException
	// AllCompleted: when all futures are done.
	AllCompleted
)

// Wait waits until the futures in fs meet the condition when, or until
// timeout passes, and returns them split into those done when it returns and
// the others, each slice in the order of fs. A timeout <= 0 means no time
// limit. Wait does not cancel anything: on a timeout, the futures in notDone
// go on. F is *Future[T] for futures of one type, or Waitable to mix types.
// Wait may be called from any goroutine; it panics if fs holds a nil future
// or when is not one of the ReturnWhen constants.
func Wait[F Waitable](fs []F, timeout time.Duration, when ReturnWhen) (done, notDone []F) {
	if when < FirstCompleted || when > AllCompleted {
		panic(fmt.Sprintf("futures: Wait with an unknown ReturnWhen %d; use FirstCompleted, FirstException or AllCompleted", int(when)))
	}
	w := watch(fs)
	defer w.stop()
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
wait:
	for left := len(w.cores); left > 0; left-- {
		select {
		case c := <-w.ch:
			if when == FirstCompleted || (when == FirstException && c.failed()) {
				break wait
			}
		case <-expired:
			break wait
		}
	}
	for _, f := range fs {
		if f.futureCore().isDone() {
			done = append(done, f)
		} else {
			notDone = append(notDone, f)
		}
	}
	return done, notDone
}

// AsCompleted returns a sequence of the futures in fs in the order they
// complete: first those done already, in the order of fs, then the others as
// they become done. A future that occurs more than once in fs is yielded
// once. The sequence ends early when ctx is done, but never while a future
// is done and not yet yielded, so a loop that yielded fewer futures than fs
// holds ended because of ctx. This is Python's as_completed, with ctx for its
// timeout.
// Ranging over the sequence again starts over. It panics if fs holds a nil
// future.
func AsCompleted[F Waitable](ctx context.Context, fs []F) iter.Seq[F] {
	return func(yield func(F) bool) {
		w := watch(fs)
		defer w.stop()
		for range w.cores {
			var c *core
			select {
			case c = <-w.ch:
			default:
				select {
				case c = <-w.ch:
				case <-ctx.Done():
					return
				}
			}
			if !yield(w.futures[c]) {
				return
			}
		}
	}
}

// A watcher learns, on ch, of each of a set of futures becoming done.
type watcher[F Waitable] struct {
	cores   []*core // distinct, in the order of fs
	futures map[*core]F
	ch      chan *core // room for one send from each of cores
}

func watch[F Waitable](fs []F) *watcher[F] {
	w := &watcher[F]{futures: make(map[*core]F, len(fs))}
	for _, f := range fs {
		if any(f) == nil {
			panic("futures: nil future in Wait or AsCompleted")
		}
		c := f.futureCore()
		if _, dup := w.futures[c]; !dup {
			w.futures[c] = f
			w.cores = append(w.cores, c)
		}
	}
	w.ch = make(chan *core, len(w.cores))
	for _, c := range w.cores {
		c.addWaiter(w.ch)
	}
	return w
}

func (w *watcher[F]) stop() {
	for _, c := range w.cores {
		c.removeWaiter(w.ch)
	}
}

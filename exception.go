package asyncio

import (
	"fmt"
	"log"
	"strings"
)

// An Exception is a problem that the loop cannot return to any caller: a
// panic in a callback, an error that no one retrieved, a task destroyed
// while pending. The loop hands it to its exception handler and lives on.
type Exception struct {
	// Message says what happened.
	Message string
	// Err is the error involved, if any; a *PanicError for a panic.
	Err error
	// Future is the future or task involved, if any.
	Future Waiter
	// Handle is the callback involved, if any.
	Handle *Handle
}

// String returns the message, the error and the future, in that order.
func (e *Exception) String() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if e.Future != nil {
		fmt.Fprintf(&b, "\nfuture: %v", e.Future)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, "\nerror: %+v", e.Err)
	}
	return b.String()
}

// SetExceptionHandler makes h the loop's exception handler; nil restores the
// default, DefaultExceptionHandler. The handler runs on the loop's
// goroutine; a panic in it is logged and does not stop the loop.
func (l *Loop) SetExceptionHandler(h func(*Exception)) { l.handler = h }

// DefaultExceptionHandler logs e with the standard log package.
func DefaultExceptionHandler(e *Exception) {
	log.Print("asyncio: ", e)
}

// CallExceptionHandler hands e to the loop's exception handler.
func (l *Loop) CallExceptionHandler(e *Exception) { l.report(e) }

func (l *Loop) report(e *Exception) {
	h := l.handler
	if h == nil {
		h = DefaultExceptionHandler
	}
	defer func() {
		if p := recover(); p != nil {
			log.Printf("asyncio: panic in the exception handler: %v (handling: %v)", p, e)
		}
	}()
	h(e)
}

// noteFailure remembers a future that finished with an error, to report it
// at Close unless its error has been retrieved by then.
func (l *Loop) noteFailure(w Waiter) {
	l.unretrieved = append(l.unretrieved, w)
	if len(l.unretrieved) < l.pruneAt {
		return
	}
	// Forget the retrieved ones; amortized O(1) per failure.
	kept := l.unretrieved[:0]
	for _, u := range l.unretrieved {
		if !u.futBase().retrieved {
			kept = append(kept, u)
		}
	}
	clear(l.unretrieved[len(kept):])
	l.unretrieved = kept
	l.pruneAt = max(2*len(kept), 64)
}

// reportUnretrieved reports the errors that no one looked at, as asyncio
// logs "Task exception was never retrieved".
func (l *Loop) reportUnretrieved() {
	for _, w := range l.unretrieved {
		fb := w.futBase()
		if fb.retrieved {
			continue
		}
		what := "Future"
		if fb.task != nil {
			what = "Task"
		}
		l.report(&Exception{Message: what + " exception was never retrieved", Err: fb.err, Future: w})
	}
	l.unretrieved = nil
}

// destroyPending unwinds the tasks that are still pending at Close, so that
// their goroutines end and their deferred calls run, and marks them
// cancelled.
func (l *Loop) destroyPending() {
	l.closing = true
	defer func() { l.closing = false }()
	for _, t := range l.live.all() {
		l.report(&Exception{Message: "Task was destroyed but it is pending", Future: t.body.(Waiter)})
		if t.coro != nil {
			c := t.coro
			t.coro = nil
			c.Stop()
		}
		if t.fb.state == statePending {
			t.body.fail(ErrCancelled)
		}
	}
}

// deadlock explains why a virtual-clock loop cannot go on.
func (l *Loop) deadlock() error {
	if l.live.n == 0 {
		return fmt.Errorf("%w: nothing is scheduled and nothing can wake the loop", ErrDeadlock)
	}
	return fmt.Errorf("%w: no task can make progress and nothing can wake the loop (no callbacks, timers or executor work):%s",
		ErrDeadlock, l.describeTasks())
}

// reportStuck tells, in debug mode, what the tasks of a loop that has long
// had nothing to do are waiting for.
func (l *Loop) reportStuck() {
	if l.live.n == 0 {
		return
	}
	l.report(&Exception{Message: fmt.Sprintf("loop idle for %v with nothing scheduled; waiting tasks:%s", stuckReport, l.describeTasks())})
}

func (l *Loop) describeTasks() string {
	var b strings.Builder
	for t := l.live.first; t != nil; t = t.next {
		b.WriteString("\n\t")
		b.WriteString(t.body.describe())
	}
	return b.String()
}

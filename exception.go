package asyncio

import (
	"fmt"
	"log"
	"runtime"
	"strings"
	"weak"
)

// An Exception is a problem that the loop cannot return to any caller: a
// panic in a callback, an error that no one retrieved, a task destroyed
// while pending. The loop hands it to its exception handler and lives on.
type Exception struct {
	// Message says what happened.
	Message string
	// Err is the error involved, if any; a *PanicError for a panic.
	Err error
	// Future is the future or task involved, if any. For a future that was
	// garbage collected, it is a stand-in that prints as the future did.
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

// A failure tracks a future that finished with an error until the error is
// retrieved or reported, as asyncio logs "Task exception was never
// retrieved". It holds the future weakly: an error that nobody can retrieve
// any more is reported when the future is garbage collected, and the loop
// does not keep failed futures alive; those still alive are reported at
// Close. A future that fails gets its failure before it completes, so
// that whoever looks at the error, from then on, marks it retrieved there.
type failure struct {
	l         *Loop
	retrieved bool
	reported  bool
	msg       string
	err       error
	desc      string        // the future as it was when it failed
	get       func() Waiter // the future, or nil once it is collected
}

// trackFailure starts tracking p, a future or task whose base fb has just
// completed with an error, and has its failure.
func trackFailure[T any](p *T, w Waiter, fb *futureBase) {
	l := fb.l
	rec := fb.fail
	rec.err, rec.desc, rec.msg = fb.err, fmt.Sprint(w), "Future exception was never retrieved"
	if _, ok := w.(TaskHandle); ok {
		rec.msg = "Task exception was never retrieved"
	}
	wp := weak.Make(p)
	rec.get = func() Waiter {
		if v := wp.Value(); v != nil {
			return any(v).(Waiter)
		}
		return nil
	}
	runtime.AddCleanup(p, func(rec *failure) { rec.l.CallSoonThreadsafe(rec.collected) }, rec)
	l.unretrieved = append(l.unretrieved, rec)
	if len(l.unretrieved) >= l.pruneAt {
		l.pruneFailures()
	}
}

// markRetrieved records that the error of fb was looked at.
func (fb *futureBase) markRetrieved() {
	if fb.fail != nil {
		fb.fail.retrieved = true
	}
}

// pruneFailures forgets the failures that were retrieved or reported;
// amortized O(1) per failure.
func (l *Loop) pruneFailures() {
	kept := l.unretrieved[:0]
	for _, rec := range l.unretrieved {
		if !rec.retrieved && !rec.reported {
			kept = append(kept, rec)
		}
	}
	clear(l.unretrieved[len(kept):])
	l.unretrieved = kept
	l.pruneAt = max(2*len(kept), 64)
}

// collected reports, on the loop, a failure whose future was collected.
func (rec *failure) collected() {
	if !rec.retrieved && !rec.reported {
		rec.reported = true
		rec.l.report(&Exception{Message: rec.msg, Err: rec.err, Future: &tombstone{desc: rec.desc}})
	}
}

// A tombstone stands in an Exception for a future that was garbage
// collected: it is done, and prints as the future did when it failed.
type tombstone struct {
	desc string
	fb   futureBase
}

func (*tombstone) Done() bool             { return true }
func (*tombstone) cancelWith(error) bool  { return false }
func (s *tombstone) String() string       { return s.desc }
func (s *tombstone) futBase() *futureBase { s.fb.state = stateFinished; return &s.fb }

// reportUnretrieved reports, at Close, the errors that no one looked at.
func (l *Loop) reportUnretrieved() {
	for _, rec := range l.unretrieved {
		if rec.retrieved || rec.reported {
			continue
		}
		rec.reported = true
		w := rec.get()
		if w == nil {
			w = &tombstone{desc: rec.desc} // collected, its clean-up not run yet
		}
		l.report(&Exception{Message: rec.msg, Err: rec.err, Future: w})
	}
	l.unretrieved = nil
}

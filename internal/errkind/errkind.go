// Package errkind holds what packages asyncio and futures share of their
// errors: a cancelled or timed-out wait is one kind of error in both, so
// that each package's error matches the other's under errors.Is, and both
// match the context package's.
package errkind

// A Sentinel is an error value of a kind named by a context package error,
// context.Canceled or context.DeadlineExceeded.
type Sentinel struct {
	msg  string
	kind error
}

// New returns a sentinel with the text msg, of the kind of the context error
// kind.
func New(msg string, kind error) *Sentinel { return &Sentinel{msg, kind} }

func (e *Sentinel) Error() string { return e.msg }

// Is reports whether target is the sentinel's context error, or a sentinel
// of the same kind: asyncio's ErrCancelled matches futures' and
// context.Canceled.
func (e *Sentinel) Is(target error) bool {
	if t, ok := target.(*Sentinel); ok {
		return t.kind == e.kind
	}
	return target == e.kind
}

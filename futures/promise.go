package futures

// A Promise is the producing side of a future that an executor outside
// this package makes, such as the cluster executor of package
// futures/cluster: it alone can start and complete the future, whose own
// SetRunning, SetResult and SetError panic, as they do on a future that
// Submit or Call made. The future's Cancel works as on those: it succeeds
// while the future is pending. A Promise may be used from any goroutine.
type Promise[T any] struct {
	f *Future[T]
}

// NewPromise returns a pending future and the promise that completes it.
func NewPromise[T any]() (*Future[T], Promise[T]) {
	f := new(Future[T])
	f.c.owned = true
	return f, Promise[T]{f}
}

// Start marks the future running if it is pending and handOff reports
// true, and returns the future's state afterwards: Running, Pending if
// handOff reported false, or Cancelled if the future was cancelled, in
// which case handOff is not called. handOff runs with the future locked,
// so that no Cancel comes between the hand-off of the work and the change
// of state; it must be quick, and must not call the future's methods.
func (p Promise[T]) Start(handOff func() bool) State {
	return p.f.c.startIf(handOff)
}

// SetLabel sets what the future's Label returns: a short text that says
// what the work is, for people reading a dump of tasks or a log.
func (p Promise[T]) SetLabel(label string) {
	p.f.c.mu.Lock()
	defer p.f.c.mu.Unlock()
	p.f.c.label = label
}

// SetResult completes the future with the value v and no error, and
// reports true, unless it is done already (cancelled, or completed by an
// earlier call), in which case it reports false and changes nothing: a
// second result for the same work is ignored. The future's done callbacks
// run on the calling goroutine.
func (p Promise[T]) SetResult(v T) bool { return p.f.tryFinish(v, nil) }

// SetError is SetResult for an outcome that is an error, which must not be
// nil.
func (p Promise[T]) SetError(err error) bool {
	if err == nil {
		panic("futures: Promise.SetError with a nil error")
	}
	var zero T
	return p.f.tryFinish(zero, err)
}

// tryFinish finishes the future with v and err unless it is done, and
// reports whether it did.
func (f *Future[T]) tryFinish(v T, err error) bool {
	f.c.mu.Lock()
	if f.c.state.done() {
		f.c.mu.Unlock()
		return false
	}
	f.val, f.c.err, f.c.state = v, err, Finished
	f.settle()
	return true
}

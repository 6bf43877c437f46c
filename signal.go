package asyncio

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
)

// How a signal reaches a handler: package os/signal relays it to a channel
// of the loop; one goroutine per loop, the forwarder, running while any
// handler is installed, reads that channel and hands each signal to the
// loop with CallSoonThreadsafe; on the loop, handleSignal looks the handler
// up and calls it. The handler is looked up when the signal is handled, not
// when it arrives, so a signal handled after RemoveSignalHandler runs
// nothing, and one handled after a replacement runs the new handler.
//
// os/signal can add signals to a channel but not take one away: Stop drops
// them all. To remove one, the loop registers a new channel for the others
// first and then stops the old one, which the forwarder drains before it
// moves on. Stopping first would leave the others, for a moment, with no
// channel at all, and SIGTERM would then end the process; registering first
// may instead hand a signal that arrives in that moment to both channels,
// and its handler runs twice, which a handler must expect anyway: the
// system merges signals of one kind that arrive close together.

// AddSignalHandler makes fn run on the loop whenever sig arrives: the
// counterpart of loop.add_signal_handler. The process no longer takes the
// signal's default action (for SIGTERM or SIGINT, ending at once); fn
// decides what happens, typically by cancelling a task or setting an
// Event. A second AddSignalHandler for the same signal replaces fn.
//
// fn runs as a callback scheduled with CallSoonThreadsafe does, on the
// loop's goroutine, between tasks' steps; a panic in it goes to the
// exception handler. It may remove or replace handlers, its own too. A signal that arrives while the loop is not running is handled
// when it next runs. Signals of one kind that arrive close together may
// be handled once, since the system merges them.
//
// The handler stays installed, across runs of the loop, until
// RemoveSignalHandler or Close removes it. While any handler is installed,
// one goroutine relays the loop's signals. Handlers do not hold a virtual
// clock: under WithVirtualClock, a loop whose tasks wait only for a signal
// reports ErrDeadlock. A handler for os.Interrupt replaces Run's own
// handling of SIGINT.
//
// AddSignalHandler must be called on the loop's goroutine or before the
// loop first runs. It returns an error if fn is nil or sig cannot be
// caught (SIGKILL and SIGSTOP never reach a program) or is no signal of
// this system, and an error matching ErrLoopClosed on a closed loop.
func (l *Loop) AddSignalHandler(sig os.Signal, fn func()) error {
	if fn == nil {
		return fmt.Errorf("asyncio: AddSignalHandler(%v) with a nil function; to stop handling the signal, call RemoveSignalHandler", sig)
	}
	if err := checkSignal(sig); err != nil {
		return err
	}
	if l.IsClosed() {
		return fmt.Errorf("%w: AddSignalHandler(%v)", ErrLoopClosed, sig)
	}
	s := l.signalHandlers()
	s.fns[sig] = fn
	if sig == os.Interrupt {
		s.disarm() // the user's handler wins over Run's
	}
	s.watch(l, sig)
	return nil
}

// RemoveSignalHandler removes the handler that AddSignalHandler installed
// for sig, and reports whether there was one. Unless something else in the
// process still asks os/signal for sig, the signal then has its default
// action again, as after signal.Stop. A signal that arrived before the
// call and was not handled yet is dropped. Like AddSignalHandler, it must
// be called on the loop's goroutine or before the loop first runs.
func (l *Loop) RemoveSignalHandler(sig os.Signal) bool {
	s := l.signals
	if s == nil {
		return false
	}
	if _, ok := s.fns[sig]; !ok {
		return false
	}
	delete(s.fns, sig)
	s.relisten(l)
	return true
}

// signalBuffer is how many signals a loop's channel holds before os/signal
// drops further ones: enough for a burst of different signals.
const signalBuffer = 16

// signalHandlers is a loop's handling of signals, made when it first
// needs it.
type signalHandlers struct {
	// Loop-confined.
	fns     map[os.Signal]func() // the handlers of AddSignalHandler
	ch      chan os.Signal       // what os/signal relays to; nil with no forwarder
	stopped chan struct{}        // closed when the forwarder ends
	main    *task                // Run's main task, while a SIGINT is to cancel it

	swap chan chan os.Signal // hands the forwarder its next channel, or nil: end

	mu     sync.Mutex // guards sigint, and orders the calls to os/signal
	sigint sigintHook
}

// sigintHook is the state of Run's handling of SIGINT.
type sigintHook int

const (
	sigintOff   sigintHook = iota // Run does not handle SIGINT
	sigintArmed                   // the first SIGINT is to cancel the main task
	sigintFired                   // it came; SIGINT has its default action again
)

func (l *Loop) signalHandlers() *signalHandlers {
	if l.signals == nil {
		l.signals = &signalHandlers{
			fns:  make(map[os.Signal]func()),
			swap: make(chan chan os.Signal),
		}
	}
	return l.signals
}

// watch has sig relayed to the loop, starting the forwarder if need be.
func (s *signalHandlers) watch(l *Loop, sig os.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan os.Signal, signalBuffer)
		s.stopped = make(chan struct{})
		go s.forward(l, s.ch, s.stopped)
	}
	signal.Notify(s.ch, sig)
}

// relisten narrows the signals relayed to the loop to those it still
// handles, and ends the forwarder, waiting for it, when that is none.
func (s *signalHandlers) relisten(l *Loop) {
	if s.ch == nil {
		return
	}
	s.mu.Lock()
	sigs := make([]os.Signal, 0, len(s.fns)+1)
	for sig := range s.fns {
		sigs = append(sigs, sig)
	}
	if s.sigint == sigintArmed {
		sigs = append(sigs, os.Interrupt)
	}
	var next chan os.Signal
	if len(sigs) > 0 {
		next = make(chan os.Signal, signalBuffer)
		signal.Notify(next, sigs...) // before Stop: see the top of the file
	}
	signal.Stop(s.ch)
	s.mu.Unlock()
	s.ch = next
	s.swap <- next // outside mu: the forwarder may be waiting for it
	if next == nil {
		<-s.stopped
		s.stopped = nil
	}
}

// forward is the forwarder: it hands the signals that arrive on ch to the
// loop until relisten gives it nil.
func (s *signalHandlers) forward(l *Loop, ch chan os.Signal, stopped chan struct{}) {
	defer close(stopped)
	for {
		select {
		case sig := <-ch:
			s.relay(l, sig)
		case next := <-s.swap:
			// ch is stopped: what it holds now is all it will ever get.
			for len(ch) > 0 {
				s.relay(l, <-ch)
			}
			if next == nil {
				return
			}
			ch = next
		}
	}
}

// relay hands sig to the loop. For Run's first SIGINT it first gives
// SIGINT its default action back, here rather than on the loop, so that a
// second SIGINT ends the process even while a callback or task that never
// yields holds the loop: the very case a second Ctrl-C is for.
func (s *signalHandlers) relay(l *Loop, sig os.Signal) {
	if sig == os.Interrupt {
		s.mu.Lock()
		if s.sigint == sigintArmed {
			s.sigint = sigintFired
			signal.Reset(os.Interrupt)
		}
		s.mu.Unlock()
	}
	// An error means the loop is closed, and no handler is left to run.
	_ = l.CallSoonThreadsafe(func() { l.handleSignal(sig) })
}

// handleSignal runs on the loop what sig is to do there.
func (l *Loop) handleSignal(sig os.Signal) {
	s := l.signals
	if t := s.main; t != nil && sig == os.Interrupt {
		s.main = nil
		t.cancel(ErrInterrupted)
		return
	}
	if fn := s.fns[sig]; fn != nil {
		// A Handle of fn's own, so that a panic is reported as fn's.
		l.call(&Handle{fn: fn, loop: l})
	}
}

// cancelOnInterrupt makes the first SIGINT cancel t, the main task of Run,
// with ErrInterrupted, and reset SIGINT to its default action, until the
// function it returns is called. It does nothing if the process ignores
// SIGINT or the loop has a handler for it.
func (l *Loop) cancelOnInterrupt(t *task) (stop func()) {
	if signal.Ignored(os.Interrupt) {
		return func() {}
	}
	s := l.signalHandlers()
	if _, ok := s.fns[os.Interrupt]; ok {
		return func() {}
	}
	s.main = t
	s.mu.Lock()
	s.sigint = sigintArmed
	s.mu.Unlock()
	s.watch(l, os.Interrupt)
	return func() {
		if s.disarm() {
			s.relisten(l)
		}
	}
}

// disarm ends Run's handling of SIGINT, and reports whether it was on.
func (s *signalHandlers) disarm() bool {
	s.main = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.sigint
	s.sigint = sigintOff
	return was != sigintOff
}

// closeSignals removes every handler of a closing loop.
func (l *Loop) closeSignals() {
	s := l.signals
	if s == nil {
		return
	}
	clear(s.fns)
	s.disarm()
	s.relisten(l)
}

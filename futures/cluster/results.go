package cluster

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/futures/internal/inorder"
)

// consumeResults makes the executor's durable consumer of its results and
// starts receiving them. The consumer outlives a broken connection and a
// restart of the server, and so do the results it has not acknowledged; the
// server removes it after Retention without the executor.
func (e *Executor) consumeResults(ctx context.Context) error {
	cfg := jetstream.ConsumerConfig{
		Durable:           "results-" + e.id,
		FilterSubject:     e.q.resultSubject(e.id),
		AckPolicy:         jetstream.AckAllPolicy,
		AckWait:           resultAckWait,
		MaxAckPending:     1 << 16,
		InactiveThreshold: e.opts.Retention,
		DeliverPolicy:     jetstream.DeliverAllPolicy,
	}
	cons, err := ask(ctx, func(ctx context.Context) (jetstream.Consumer, error) {
		return e.js.CreateConsumer(ctx, e.q.resultStream(), cfg)
	})
	if err != nil {
		return fmt.Errorf("cluster: create the consumer of results: %w", err)
	}
	if e.results, err = newReceiver(cons, e.onResult); err != nil {
		return fmt.Errorf("cluster: receive results: %w", err)
	}
	return nil
}

// onResult completes the future of the call a result message is for. A
// result for a call that is not in flight is a duplicate (the call ran
// twice) and is ignored. The call leaves the calls in flight, and is
// counted, before its future completes, so that Stats agrees with what the
// future's owner has seen.
func (e *Executor) onResult(m jetstream.Msg) {
	e.acks.add(m)
	h := m.Headers()
	e.mu.Lock()
	c := e.calls[h.Get(hdrCall)]
	if c == nil {
		e.stats.duplicates++
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	complete, failed, kind := e.settle(c, h, m.Data())
	e.mu.Lock()
	if e.calls[c.id] != c { // Close took it meanwhile
		e.mu.Unlock()
		return
	}
	delete(e.calls, c.id)
	e.stats.completed++
	if failed {
		e.stats.failed++
	}
	if kind == kindBroken {
		e.stats.broken++
	}
	if d, err := strconv.ParseUint(h.Get(hdrDelivery), 10, 64); err == nil && d > 1 {
		e.stats.reattempted++
	}
	e.mu.Unlock()
	complete()
	e.mu.Lock()
	e.checkIdle()
	e.mu.Unlock()
}

// settle decodes the result for c, returning what completes c's future
// with it, whether it is an error, and its kind.
func (e *Executor) settle(c *call, h nats.Header, payload []byte) (complete func(), failed bool, kind byte) {
	k, err := strconv.ParseUint(h.Get(hdrKind), 10, 8)
	if err != nil {
		err := fmt.Errorf("futures: worker %q sent a malformed result for %s (kind %q)", h.Get(hdrWorker), c.name, h.Get(hdrKind))
		return func() { c.fail(err) }, true, 0
	}
	complete, failed = c.settle(byte(k), payload)
	return complete, failed, byte(k)
}

// resultAcks acknowledges results in batches: the consumer's policy is to
// acknowledge all up to the one acknowledged, so one message of 64, and the
// last after a short quiet, do for all.
type resultAcks struct {
	mu    sync.Mutex
	last  jetstream.Msg // not acknowledged yet
	n     int
	timer *time.Timer
}

func (a *resultAcks) add(m jetstream.Msg) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last, a.n = m, a.n+1
	if a.n >= 64 {
		a.ackLocked()
		return
	}
	if a.timer == nil {
		a.timer = time.AfterFunc(20*time.Millisecond, a.flush)
	} else {
		a.timer.Reset(20 * time.Millisecond)
	}
}

func (a *resultAcks) flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ackLocked()
}

func (a *resultAcks) ackLocked() {
	if a.last != nil {
		a.last.Ack() // lost if the connection breaks: the server sends the results again, which are ignored
		a.last, a.n = nil, 0
	}
}

func (a *resultAcks) stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.timer != nil {
		a.timer.Stop()
	}
	a.ackLocked()
}

// forget removes the call with the given ID.
func (e *Executor) forget(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.calls, id)
	e.checkIdle()
}

// pending reports whether the call with the given ID awaits its result.
func (e *Executor) pending(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[id] != nil
}

// checkIdle closes idle once e is stopped and no call is in flight. It is
// called with e.mu held.
func (e *Executor) checkIdle() {
	if e.stopped && len(e.calls) == 0 && !e.isIdle {
		close(e.idle)
		e.isIdle = true
	}
}

// Shutdown stops e from accepting calls: a later Call returns a future
// failed with futures.ErrShutdown. The calls made before still complete;
// then e closes its connection. If wait is true, Shutdown returns once all
// of that is done; if false, it returns at once and the rest happens in the
// background. A call whose result never comes (no worker serves the queue)
// holds Shutdown(true) up; Close does not wait.
func (e *Executor) Shutdown(wait bool) {
	e.mu.Lock()
	e.stopped = true
	e.checkIdle()
	e.mu.Unlock()
	finish := func() {
		<-e.idle
		e.close()
	}
	if wait {
		finish()
	} else {
		go finish()
	}
}

// Close stops e at once: it cancels the calls not yet handed to the
// server, fails those in flight with an error matching futures.ErrShutdown
// (a worker may still run them, unobserved), removes e's results from the
// server and closes the connection. Close waits for all of that; calling it
// again, or after Shutdown, is harmless.
func (e *Executor) Close() {
	e.mu.Lock()
	e.stopped = true
	cs := make([]*call, 0, len(e.calls))
	for _, c := range e.calls {
		cs = append(cs, c)
	}
	e.mu.Unlock()
	for _, c := range cs {
		if !c.cancel() {
			c.fail(fmt.Errorf("%w: %s: closed before its result arrived; the call may still run on a worker", futures.ErrShutdown, c.name))
		}
		e.forget(c.id)
	}
	e.close()
}

// close stops the loops, deletes the consumer of results, so that the
// server keeps no result for e, and closes the connection.
func (e *Executor) close() {
	e.closed.Do(func() {
		close(e.closing)
		e.results.stop()
		e.acks.stop()
		e.loops.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		e.js.DeleteConsumer(ctx, e.q.resultStream(), "results-"+e.id) // if this fails, Retention removes it
		e.nc.Close()
	})
}

// Stats are numbers about an executor's calls and its queue.
type Stats struct {
	// The executor's own calls.
	Unsent      int    // made but not handed to the server yet (disconnected)
	InFlight    int    // handed to the server, their result not received yet
	Completed   uint64 // results received
	Failed      uint64 // of which errors, panics included
	Broken      uint64 // of which errors after the last attempt
	Reattempted uint64 // of which came after the call was handed over again
	Duplicates  uint64 // results ignored because the call had one already

	// The queue's calls, from all executors, as the server counts them.
	Queued      uint64 // waiting for a worker
	Running     int    // held by workers
	Redelivered int    // of which handed over more than once (see also Reattempted)
	Waiting     int    // requests of idle workers for calls
}

// Stats returns e's numbers and, from the server, its queue's.
func (e *Executor) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	e.mu.Lock()
	s.Unsent, s.InFlight = len(e.unsent), len(e.calls)-len(e.unsent)
	s.Completed, s.Failed, s.Broken, s.Duplicates = e.stats.completed, e.stats.failed, e.stats.broken, e.stats.duplicates
	s.Reattempted = e.stats.reattempted
	e.mu.Unlock()
	cons, err := e.js.Consumer(ctx, e.q.callStream(), workersConsumer)
	if err != nil {
		return s, fmt.Errorf("cluster: stats: %w", err)
	}
	info := cons.CachedInfo()
	s.Queued, s.Running, s.Redelivered, s.Waiting = info.NumPending, info.NumAckPending, info.NumRedelivered, info.NumWaiting
	return s, nil
}

// Map calls fn on e's workers once for each value of args and yields the
// results in the order of args, as futures.Map does for an executor of
// goroutines: nothing happens until the sequence is ranged over; then every
// call is made before the first result is awaited. Stopping the iteration
// early cancels the calls not yet handed to the server; the others run,
// unobserved. Map panics if e or args is nil or fn is the zero Func.
func Map[A, R any](e *Executor, fn futures.Func[A, R], args iter.Seq[A]) iter.Seq2[R, error] {
	if e == nil || args == nil || fn.Name() == "" {
		panic("futures/cluster: Map with a nil Executor or sequence, or a zero Func")
	}
	return func(yield func(R, error) bool) {
		var fs []*futures.Future[R]
		for a := range args {
			fs = append(fs, Call(e, fn, a))
		}
		inorder.Yield(fs, yield)
	}
}

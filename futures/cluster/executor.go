package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/futures/internal/remote"
)

// Options configure an Executor. The zero value, or a nil *Options, gives
// the defaults.
type Options struct {
	// Queue names the queue the executor's calls go to; workers serving
	// the same queue run them. Default DefaultQueue.
	Queue string
	// Attempts is how many times a call may be handed to a worker before
	// it fails with an error matching futures.ErrBrokenWorker: a call is
	// handed over again when its worker held it for a lease without a
	// word. 1 gives at-most-once calls. Default 3.
	Attempts int
	// Lease is how long a worker may hold a call without a word before the
	// server hands it to another worker; a running call's worker extends
	// its lease as it goes, so the lease bounds the delay after a worker
	// dies or hangs, not how long a call may run. It is a setting of the
	// queue: the executor sets it as it connects, for all the queue's
	// calls. Default 30s.
	Lease time.Duration
	// Retention is how long the server keeps a result that the executor
	// has not received, while it is disconnected. Default 1h.
	Retention time.Duration
	// NATS are options for the connection, such as credentials or TLS.
	// The executor adds its own for reconnecting without end, before
	// these.
	NATS []nats.Option
}

// An Executor runs registered functions on the workers of a cluster,
// through a NATS JetStream server: Call and Map hand it calls, and return
// futures of package futures. Its methods may be called from any
// goroutine.
type Executor struct {
	nc      *nats.Conn
	js      jetstream.JetStream
	q       queue
	id      string // this executor's ID: its results' subject token
	results *receiver
	opts    Options

	mu      sync.Mutex
	calls   map[string]*call // handed over or waiting to be, by ID
	seq     uint64
	stopped bool          // Shutdown was called
	idle    chan struct{} // closed when stopped and calls is empty
	isIdle  bool          // idle is closed
	unsent  []*call       // not handed to the server yet, or to be sent again
	stats   counts

	wake    chan struct{} // tells sendLoop of unsent calls
	closing chan struct{} // closed by close
	loops   sync.WaitGroup
	acks    resultAcks
	closed  sync.Once
}

// counts are the executor's own numbers in Stats.
type counts struct {
	completed, failed, broken, reattempted, duplicates uint64
}

// A call is one call in flight.
type call struct {
	id, name string
	arg      []byte
	attempts int
	start    func(handOff func() bool) futures.State
	cancel   func() bool
	// settle decodes a reply, and returns what completes the future with
	// it and whether it is an error.
	settle func(kind byte, payload []byte) (complete func(), failed bool)
	fail   func(error) bool
}

// Dial connects to the NATS server at url, creates or updates the queue's
// streams, and returns an executor whose calls go to that queue. The
// connection reconnects without end; calls made meanwhile are handed over
// once it is back. ctx bounds the connecting and the setting up.
func Dial(ctx context.Context, url string, opts *Options) (*Executor, error) {
	o, q, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	e := &Executor{q: q, id: nuid.Next(), opts: o, calls: make(map[string]*call),
		wake: make(chan struct{}, 1), closing: make(chan struct{}), idle: make(chan struct{})}
	nopts := append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.Name("goasyncio executor"), nats.ReconnectHandler(func(*nats.Conn) { e.signal() })}, o.NATS...)
	nc, err := nats.Connect(url, nopts...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to %s: %w", url, err)
	}
	e.nc = nc
	if err := e.setUp(ctx); err != nil {
		nc.Close()
		return nil, err
	}
	return e, nil
}

// resolve fills in the defaults of opts and checks them.
func resolve(opts *Options) (Options, queue, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	q, err := newQueue(o.Queue)
	if err != nil {
		return o, q, err
	}
	switch {
	case o.Attempts < 0 || o.Lease < 0 || o.Retention < 0:
		return o, q, errors.New("cluster: Options with a negative Attempts, Lease or Retention")
	case o.Lease > 0 && o.Lease < time.Second:
		return o, q, fmt.Errorf("cluster: a Lease of %v is too short for workers to extend it; use 1s or more", o.Lease)
	}
	o.Attempts = cmpOr(o.Attempts, defaultAttempts)
	o.Lease = cmpOr(o.Lease, defaultLease)
	o.Retention = cmpOr(o.Retention, defaultRetention)
	return o, q, nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// setUp sets up the queue and the receiving of results, and starts
// sendLoop.
func (e *Executor) setUp(ctx context.Context) error {
	js, err := jetstream.New(e.nc, jetstream.WithPublishAsyncErrHandler(e.sendFailed),
		jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	e.js = js
	if err := e.q.setUp(ctx, js, e.opts.Retention, e.opts.Lease, true); err != nil {
		return err
	}
	if err := e.consumeResults(ctx); err != nil {
		return err
	}
	e.loops.Add(1)
	go e.sendLoop()
	return nil
}

// Call schedules fn(arg) to run on a worker of e's queue and returns a
// future for its results, as futures.Call does for a process pool: the
// same registered functions, the same encoding of arguments and results,
// the same errors. The future is pending until the call has been handed to
// the server, which Call does at once when connected; then it is running,
// though the call may wait at the server for a free worker (see Stats).
// Cancel succeeds exactly while the future is pending, and then nothing
// runs; after that it reports false and the call runs.
//
// Delivery is at least once: a call whose worker dies or hangs is handed
// to another worker after the lease (see Options), up to Attempts times,
// after which the future fails with an error matching
// futures.ErrBrokenWorker that says so. An error or a panic of fn is its
// result, never retried. Should a call run twice, the future takes the
// first result and ignores the other.
//
// The future's errors are futures.Call's, with these differences: one
// matching futures.ErrEncoding if arg's JSON is larger than the server's
// maximum message (1 MiB unless configured otherwise), or if the result's
// is, and futures.ErrShutdown if e is shut down. Call panics if e is nil
// or fn is the zero Func.
func Call[A, R any](e *Executor, fn futures.Func[A, R], arg A) *futures.Future[R] {
	if e == nil {
		panic("futures/cluster: Call on a nil *Executor")
	}
	name := fn.Name()
	if name == "" {
		panic("futures/cluster: Call of a zero Func; get one from futures.Register")
	}
	b, err := json.Marshal(arg)
	if err != nil {
		f, p := futures.NewPromise[R]()
		p.SetError(fmt.Errorf("%w: %s: argument: %w", futures.ErrEncoding, name, err))
		return f
	}
	return callJSON[R](e, name, b)
}

// callJSON is Call with the argument in JSON.
func callJSON[R any](e *Executor, name string, arg []byte) *futures.Future[R] {
	f, p := futures.NewPromise[R]()
	p.SetLabel("cluster call " + strconv.Quote(name) + " on queue " + e.q.name)
	if err := e.checkSize(len(arg) + len(name)); err != nil {
		p.SetError(fmt.Errorf("%w: %s: argument: %w", futures.ErrEncoding, name, err))
		return f
	}
	c := &call{name: name, arg: arg, attempts: e.opts.Attempts, start: p.Start, cancel: f.Cancel, fail: p.SetError,
		settle: func(kind byte, payload []byte) (func(), bool) {
			v, err := decode[R](name, kind, payload)
			if err != nil {
				return func() { p.SetError(err) }, true
			}
			return func() { p.SetResult(v) }, false
		}}
	if err := e.add(c); err != nil {
		p.SetError(err)
		return f
	}
	e.handOver(c)
	return f
}

// decode is remote.Decode, and knows the report of a call whose attempts
// are used up.
func decode[R any](name string, kind byte, payload []byte) (R, error) {
	if kind == kindBroken {
		var zero R
		return zero, fmt.Errorf("%w: %s: %s", futures.ErrBrokenWorker, name, payload)
	}
	return remote.Decode[R](name, kind, payload)
}

// headerRoom is what a call message's headers and subject may take of the
// server's maximum message size.
const headerRoom = 512

// checkSize returns an error if a message of n bytes would not fit into
// the server's maximum message, with the headers.
func (e *Executor) checkSize(n int) error {
	if max := e.nc.MaxPayload(); int64(n+headerRoom) > max {
		return fmt.Errorf("%d bytes of JSON, more than the server's maximum message of %d bytes (its max_payload) allows; "+
			"pass large data by reference, such as a file name", n, max)
	}
	return nil
}

// add gives c its ID and records it, unless e is shut down.
func (e *Executor) add(c *call) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return futures.ErrShutdown
	}
	e.seq++
	c.id = e.id + "." + strconv.FormatUint(e.seq, 10)
	e.calls[c.id] = c
	return nil
}

// handOver publishes c, marking its future running, or leaves it for
// sendLoop if that fails; a cancelled c is forgotten.
func (e *Executor) handOver(c *call) {
	switch c.start(func() bool { return e.publish(c) == nil }) {
	case futures.Pending:
		e.mu.Lock()
		e.unsent = append(e.unsent, c)
		e.mu.Unlock()
		e.signal()
	case futures.Cancelled:
		e.forget(c.id)
	}
}

func (e *Executor) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// errDisconnected keeps a call from being handed over while the
// connection is down, so that it stays pending (and cancellable) rather
// than wait in the client's buffer.
var errDisconnected = errors.New("cluster: not connected")

// publish hands c to the server, asynchronously: if the server does not
// acknowledge it, sendFailed sends it again.
func (e *Executor) publish(c *call) error {
	if !e.nc.IsConnected() {
		return errDisconnected
	}
	m := nats.NewMsg(e.q.callSubject())
	m.Header[hdrMsgID] = []string{c.id}
	m.Header[hdrFunc] = []string{c.name}
	m.Header[hdrReply] = []string{e.q.resultSubject(e.id)}
	m.Header[hdrAttempts] = []string{strconv.Itoa(c.attempts)}
	m.Data = c.arg
	_, err := e.js.PublishMsgAsync(m)
	return err
}

// sendFailed is told of a call that the server did not acknowledge: it
// timed out, or the connection broke. The call goes out again; if the
// server had stored it after all, it drops the copy by its ID.
func (e *Executor) sendFailed(_ jetstream.JetStream, m *nats.Msg, err error) {
	e.mu.Lock()
	c := e.calls[m.Header.Get(hdrMsgID)]
	if c != nil {
		e.unsent = append(e.unsent, c)
	}
	e.mu.Unlock()
	e.signal()
}

// sendLoop sends the calls that could not be sent when they were made,
// or must be sent again, once the connection allows.
func (e *Executor) sendLoop() {
	defer e.loops.Done()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	for {
		select {
		case <-e.closing:
			return
		case <-e.wake:
		case <-retry.C:
		}
		if !e.sendUnsent() {
			retry.Reset(100 * time.Millisecond)
		}
	}
}

// sendUnsent tries to send the unsent calls and reports whether it sent
// them all.
func (e *Executor) sendUnsent() bool {
	e.mu.Lock()
	cs := e.unsent
	e.unsent = nil
	e.mu.Unlock()
	for i, c := range cs {
		if err := e.send(c); err != nil {
			e.mu.Lock()
			e.unsent = append(cs[i:len(cs):len(cs)], e.unsent...)
			e.mu.Unlock()
			return false
		}
	}
	return true
}

// send hands c to the server for the first time, or again if it is
// running but the server did not acknowledge it.
func (e *Executor) send(c *call) error {
	var err error
	sent := false
	switch c.start(func() bool { err = e.publish(c); sent = err == nil; return sent }) {
	case futures.Cancelled:
		e.forget(c.id)
	case futures.Running:
		if !sent && e.pending(c.id) {
			err = e.publish(c)
		}
	}
	return err
}

package cluster

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/goasyncio/asyncio/futures/internal/remote"
)

// WorkerOptions configure a worker. The zero value, or a nil
// *WorkerOptions, gives the defaults.
type WorkerOptions struct {
	// Queue names the queue whose calls the worker runs. Default
	// DefaultQueue.
	Queue string
	// Concurrency is how many calls the worker runs at once, each on a
	// goroutine of its own. Default runtime.NumCPU().
	Concurrency int
	// Name names the worker in the results it sends and in what it logs.
	// Default "host:pid".
	Name string
	// NATS are options for the connection, such as credentials or TLS.
	NATS []nats.Option
	// Logf receives what the worker has to report: messages it dropped as
	// malformed, trouble with the server. Default: package log.
	Logf func(format string, args ...any)
}

// A worker runs calls from a queue.
type worker struct {
	q          queue
	name       string
	logf       func(format string, args ...any)
	nc         *nats.Conn
	js         jetstream.JetStream
	lease      time.Duration
	slots      chan struct{} // one token per call that may start
	running    sync.Map      // jetstream.Msg -> struct{}: calls whose lease to extend
	unacked    sync.Map      // result ID -> *reply: results the server has not stored yet
	unackedN   pendingCount  // how many results unacked holds
	closed     atomic.Bool   // set as Serve returns: resend nothing
	maxPayload int64
	stopping   bool // whether it said it takes no new calls
}

// A reply is a result on its way to the server, with the call it is for,
// which the worker acknowledges once the server has stored the result.
type reply struct {
	call  jetstream.Msg
	msg   *nats.Msg
	tries atomic.Int32
}

// Serve runs calls from a queue of the NATS server at url, up to
// opts.Concurrency at once, until ctx is done; then it drains: it takes no
// new calls, finishes those it runs, waits (a few seconds at most) for the
// server to store their results, and returns nil; so it does if ctx is
// done while it sets up. It returns an error if it cannot connect or set
// up the queue. The program serves the functions it registered with
// futures.Register, as a worker process of a ProcessPoolExecutor does; a call of a name it does not know fails with
// an error matching futures.ErrNotRegistered, and is not handed to another
// worker.
//
// A worker extends the lease of each call it runs (see Options.Lease); a
// worker that dies or hangs stops extending it, and the server hands its
// calls to other workers once their leases run out. A malformed message in
// the queue is reported to Logf and dropped, answered with an error
// matching futures.ErrEncoding where it says whom to answer.
func Serve(ctx context.Context, url string, opts *WorkerOptions) error {
	w, err := newWorker(url, opts)
	if err != nil {
		return err
	}
	defer w.nc.Close()
	defer w.closed.Store(true)
	cons, err := w.q.workers(ctx, w.js)
	if ctx.Err() != nil {
		return nil // told to stop before it served
	}
	if err != nil {
		return err
	}
	w.lease = cons.CachedInfo().Config.AckWait
	stop := w.extendLeases()
	defer stop()
	w.serve(ctx, cons)
	w.noteStopping()
	w.drain()
	return nil
}

func newWorker(url string, opts *WorkerOptions) (*worker, error) {
	var o WorkerOptions
	if opts != nil {
		o = *opts
	}
	q, err := newQueue(o.Queue)
	if err != nil {
		return nil, err
	}
	if o.Concurrency < 0 {
		return nil, errors.New("cluster: WorkerOptions with a negative Concurrency")
	}
	w := &worker{q: q, name: o.Name, logf: o.Logf}
	if w.name == "" {
		host, _ := os.Hostname()
		w.name = host + ":" + strconv.Itoa(os.Getpid())
	}
	if w.logf == nil {
		w.logf = log.Printf
	}
	w.slots = make(chan struct{}, cmpOr(o.Concurrency, runtime.NumCPU()))
	nopts := append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond), nats.Name("goasyncio worker " + w.name)}, o.NATS...)
	if w.nc, err = nats.Connect(url, nopts...); err != nil {
		return nil, fmt.Errorf("cluster: connect to %s: %w", url, err)
	}
	w.maxPayload = w.nc.MaxPayload()
	w.js, err = jetstream.New(w.nc, jetstream.WithPublishAsyncAckHandler(w.stored),
		jetstream.WithPublishAsyncErrHandler(w.notStored), jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		w.nc.Close()
		return nil, fmt.Errorf("cluster: %w", err)
	}
	return w, nil
}

// serve runs calls as slots free up, until ctx is done (see runFrom). The
// server sends at most as many calls as the worker has slots ahead of the
// ones running, so a worker holds at most twice its concurrency.
func (w *worker) serve(ctx context.Context, cons jetstream.Consumer) {
	for ctx.Err() == nil {
		it, err := cons.Messages(jetstream.PullMaxMessages(cap(w.slots)), jetstream.PullExpiry(pullExpiry),
			jetstream.WithMessagesErrOnMissingHeartbeat(true))
		if err != nil {
			w.logf("futures/cluster: worker %s: receive calls: %v", w.name, err)
			sleep(ctx, time.Second)
			continue
		}
		w.runFrom(ctx, it)
	}
}

// runFrom runs the calls of it until ctx is done, then takes what it
// holds, runs that too, and returns; or until it fails.
//
// A call that it received ahead of a free slot waits in its buffer, where
// the worker cannot extend its lease. Such a call was asked for as one of
// the last cap(slots) calls of Next began (each returns the oldest call
// held, and a request asks for at most cap(slots) calls), so recent keeps
// when they began: once the oldest of them is a third of a lease old and
// every slot is still busy, the worker takes the buffered calls out too.
func (w *worker) runFrom(ctx context.Context, it jetstream.MessagesContext) {
	defer it.Stop()
	recent := make([]time.Time, cap(w.slots))
	for i := range recent {
		recent[i] = time.Now() // it has asked for calls as it was made
	}
	for n := 0; ; n++ {
		switch w.acquire(ctx, recent[n%len(recent)].Add(w.lease/3)) {
		case stopped:
			w.runHeld(w.takeOut(it, w.noteStopping))
			return
		case stale:
			w.runHeld(w.takeOut(it, nil))
			return
		}
		recent[n%len(recent)] = time.Now()
		m, err := it.Next(jetstream.NextContext(ctx))
		if err == nil {
			go w.handle(m)
			continue
		}
		<-w.slots
		switch {
		case ctx.Err() != nil:
			w.runHeld(w.takeOut(it, w.noteStopping))
			return
		case errors.Is(err, jetstream.ErrMsgIteratorClosed), errors.Is(err, jetstream.ErrNoHeartbeat):
			return // subscribe afresh (see receiver)
		default:
			w.logf("futures/cluster: worker %s: receive calls: %v", w.name, err)
			sleep(ctx, time.Second)
			return
		}
	}
}

// What acquire did.
const (
	acquired = iota // took a slot
	stopped         // ctx was done first
	stale           // the calls it may hold in its buffer need their leases extended
)

// acquire takes a slot for a call, waiting until one frees up, until ctx is
// done, or until the time given.
func (w *worker) acquire(ctx context.Context, until time.Time) int {
	select {
	case w.slots <- struct{}{}:
		return acquired
	default:
	}
	t := time.NewTimer(time.Until(until))
	defer t.Stop()
	select {
	case w.slots <- struct{}{}:
		return acquired
	case <-ctx.Done():
		return stopped
	case <-t.C:
		return stale
	}
}

// takeOut stops it asking the server for calls, calls asked (if not nil)
// once the server has been told, and returns the calls that it had
// received, whose leases are extended from then on with those of the
// running calls.
func (w *worker) takeOut(it jetstream.MessagesContext, asked func()) []jetstream.Msg {
	it.Drain()
	if asked != nil {
		asked()
	}
	var held []jetstream.Msg
	for {
		m, err := it.Next(jetstream.NextMaxWait(drainWait))
		if err != nil {
			return held
		}
		w.running.Store(m, struct{}{})
		held = append(held, m)
	}
}

// runHeld runs the calls that takeOut returned, as slots free up.
func (w *worker) runHeld(held []jetstream.Msg) {
	for _, m := range held {
		w.slots <- struct{}{}
		go w.handle(m)
	}
}

// noteStopping reports, once, that the worker takes no new calls.
func (w *worker) noteStopping() {
	if !w.stopping {
		w.stopping = true
		w.logf("futures/cluster: worker %s: stopping; finishing the calls it runs", w.name)
	}
}

// drainWait bounds each wait of a stopping worker: for the calls the
// server sent it before it stopped asking, and for the server to store the
// results of the calls it ran. It matters when the server is gone.
var drainWait = 10 * time.Second

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// drain waits for the running calls to finish and, for a few seconds at
// most, for their results to be stored.
func (w *worker) drain() {
	for range cap(w.slots) {
		w.slots <- struct{}{}
	}
	t := time.NewTimer(drainWait)
	defer t.Stop()
	select {
	case <-w.unackedN.zero():
	case <-t.C:
		w.logf("futures/cluster: worker %s: the server did not store some results; their calls will run again elsewhere", w.name)
	}
}

// extendLeases tells the server, every third of a lease, that the calls
// running are in progress, and returns a function that stops it.
func (w *worker) extendLeases() (stop func()) {
	t := time.NewTicker(max(w.lease/3, 100*time.Millisecond))
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			w.running.Range(func(m, _ any) bool {
				m.(jetstream.Msg).InProgress()
				return true
			})
		}
	}()
	return func() { t.Stop(); close(done); wg.Wait() }
}

// A callMsg is what a call message says.
type callMsg struct {
	id, name, reply string
	attempts        int
	delivery        uint64 // 1 the first time the server hands the call out
}

// parse reads a call message's headers. Even when it fails, it returns
// the ID and the result subject it found, if they are valid, so that the
// caller can be told.
func (w *worker) parse(m jetstream.Msg) (callMsg, error) {
	h := m.Headers()
	c := callMsg{id: h.Get(hdrMsgID), name: h.Get(hdrFunc)}
	if r := h.Get(hdrReply); w.q.validReply(r) {
		c.reply = r
	}
	n, ok := parseAttempts(h.Get(hdrAttempts))
	switch {
	case c.id == "" || len(c.id) > 200:
		return c, fmt.Errorf("no valid %s header", hdrMsgID)
	case c.reply == "":
		return c, fmt.Errorf("no valid %s header", hdrReply)
	case c.name == "":
		return c, fmt.Errorf("no %s header", hdrFunc)
	case !ok:
		return c, fmt.Errorf("no valid %s header", hdrAttempts)
	}
	c.attempts = n
	return c, nil
}

// handle runs one call and sends its result; it frees a slot when the
// call is over.
func (w *worker) handle(m jetstream.Msg) {
	defer func() { <-w.slots }()
	defer w.running.Delete(m)
	c, err := w.parse(m)
	if err != nil {
		w.drop(m, c, err)
		return
	}
	c.delivery = 1
	if meta, err := m.Metadata(); err == nil {
		c.delivery = meta.NumDelivered
	}
	if c.delivery > uint64(c.attempts) {
		w.send(m, c, kindBroken, fmt.Appendf(nil,
			"all %d attempts ended without a result: each worker that took the call held it past the lease of %v without a word (it died, was killed, or hung)",
			c.attempts, w.lease))
		return
	}
	w.running.Store(m, struct{}{})
	kind, payload := remote.NotRegistered, []byte(nil)
	if fn := remote.Lookup(c.name); fn != nil {
		kind, payload = fn(m.Data())
	}
	w.send(m, c, kind, payload)
}

// drop reports a malformed call message, answers it if it says whom to,
// and removes it from the queue for good: it would fail everywhere.
func (w *worker) drop(m jetstream.Msg, c callMsg, why error) {
	seq := "?"
	if meta, err := m.Metadata(); err == nil {
		seq = strconv.FormatUint(meta.Sequence.Stream, 10)
	}
	w.logf("futures/cluster: worker %s: dropped malformed call message %s of stream %s: %v", w.name, seq, w.q.callStream(), why)
	if c.id != "" && len(c.id) <= 200 && c.reply != "" {
		w.send(m, c, remote.Encoding, []byte("malformed call message: "+why.Error()))
		return
	}
	m.Term()
}

// send publishes the result of the call in m; once the server has stored
// it, stored acknowledges m.
func (w *worker) send(m jetstream.Msg, c callMsg, kind byte, payload []byte) {
	if n := int64(len(payload) + headerRoom); n > w.maxPayload && kind == remote.Value {
		kind, payload = remote.Encoding, fmt.Appendf(nil, "result: %d bytes of JSON, more than the server's maximum message of %d bytes (its max_payload) allows", len(payload), w.maxPayload)
	}
	rm := nats.NewMsg(c.reply)
	id := "r." + c.id
	rm.Header[hdrMsgID] = []string{id}
	rm.Header[hdrCall] = []string{c.id}
	rm.Header[hdrKind] = []string{strconv.Itoa(int(kind))}
	rm.Header[hdrWorker] = []string{w.name}
	if c.delivery > 0 {
		rm.Header[hdrDelivery] = []string{strconv.FormatUint(c.delivery, 10)}
	}
	rm.Data = payload
	r := &reply{call: m, msg: rm}
	w.unackedN.add(1)
	w.unacked.Store(id, r)
	w.publish(r)
}

func (w *worker) publish(r *reply) {
	if _, err := w.js.PublishMsgAsync(r.msg); err != nil {
		w.notStored(w.js, r.msg, err)
	}
}

// stored acknowledges the call whose result the server has stored, or had
// stored before (a duplicate).
func (w *worker) stored(_ jetstream.JetStream, rm *nats.Msg, _ *jetstream.PubAck) {
	if r, ok := w.unacked.LoadAndDelete(rm.Header.Get(hdrMsgID)); ok {
		r.(*reply).call.Ack()
		w.unackedN.add(-1)
	}
}

// notStored sends a result again that the server has not acknowledged, a
// few times; then it gives up, and the call runs again elsewhere once its
// lease runs out.
func (w *worker) notStored(_ jetstream.JetStream, rm *nats.Msg, err error) {
	id := rm.Header.Get(hdrMsgID)
	v, ok := w.unacked.Load(id)
	if !ok {
		return
	}
	r := v.(*reply)
	if w.closed.Load() {
		return // the call runs again elsewhere
	}
	if r.tries.Add(1) > 3 {
		w.unacked.Delete(id)
		w.unackedN.add(-1)
		w.logf("futures/cluster: worker %s: the server did not store the result of call %s: %v", w.name, id[2:], err)
		return
	}
	time.AfterFunc(time.Duration(r.tries.Load())*250*time.Millisecond, func() { w.publish(r) })
}

// A pendingCount counts the results the server has not stored yet, and
// tells a waiter once there are none, without a goroutine that could
// outlive the worker.
type pendingCount struct {
	mu   sync.Mutex
	n    int
	none chan struct{} // closed as n drops to 0; nil while no one waits
}

func (p *pendingCount) add(d int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n += d
	if p.n == 0 && p.none != nil {
		close(p.none)
		p.none = nil
	}
}

// zero returns a channel that is closed once the count is 0.
func (p *pendingCount) zero() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n == 0 {
		done := make(chan struct{})
		close(done)
		return done
	}
	if p.none == nil {
		p.none = make(chan struct{})
	}
	return p.none
}

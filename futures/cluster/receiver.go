package cluster

import (
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// A receiver receives an executor's results from its consumer, and
// subscribes afresh when the server's heartbeats stop coming: nats-server
// 2.9 can go on delivering to a subscription as if no one listened
// (deliveries and heartbeats lost, the results sent again and lost again),
// and a new subscription, with a new subject, gets them.
type receiver struct {
	cons   jetstream.Consumer
	handle func(jetstream.Msg)

	mu       sync.Mutex
	cc       jetstream.ConsumeContext
	renewing bool // a renewal is under way
	stopped  bool
	done     chan struct{}  // closed by stop
	renewals sync.WaitGroup // of the goroutine that renews
}

func newReceiver(cons jetstream.Consumer, handle func(jetstream.Msg)) (*receiver, error) {
	r := &receiver{cons: cons, handle: handle, done: make(chan struct{})}
	cc, err := r.consume()
	if err != nil {
		return nil, err
	}
	r.cc = cc
	return r, nil
}

func (r *receiver) consume() (jetstream.ConsumeContext, error) {
	return r.cons.Consume(r.handle, jetstream.PullMaxMessages(1024), jetstream.PullExpiry(pullExpiry),
		jetstream.ConsumeErrHandler(r.onError))
}

// onError renews the subscription when heartbeats are missing; from the
// other errors the client resumes by itself.
func (r *receiver) onError(_ jetstream.ConsumeContext, err error) {
	if !errors.Is(err, jetstream.ErrNoHeartbeat) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.renewing {
		return
	}
	r.renewing = true
	r.renewals.Add(1)
	go r.renew()
}

// renew replaces the subscription, trying again every second until it
// succeeds or r is stopped.
func (r *receiver) renew() {
	defer r.renewals.Done()
	for {
		r.mu.Lock()
		old := r.cc
		r.mu.Unlock()
		old.Stop()
		cc, err := r.consume()
		r.mu.Lock()
		stopped := r.stopped
		if err == nil && !stopped {
			r.cc = cc
		}
		if err == nil || stopped {
			r.renewing = false
			r.mu.Unlock()
			if err == nil && stopped {
				cc.Stop()
			}
			return
		}
		r.mu.Unlock()
		t := time.NewTimer(time.Second)
		select {
		case <-r.done:
		case <-t.C:
		}
		t.Stop()
	}
}

// stop stops receiving, and waits for a renewal under way.
func (r *receiver) stop() {
	r.mu.Lock()
	r.stopped = true
	close(r.done)
	cc := r.cc
	r.mu.Unlock()
	cc.Stop()
	r.renewals.Wait()
}

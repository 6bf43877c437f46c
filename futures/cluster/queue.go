package cluster

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// DefaultQueue is the queue that executors and workers use when their
// options name none.
const DefaultQueue = "goasyncio"

// Defaults of the options.
const (
	defaultAttempts  = 3
	defaultLease     = 30 * time.Second
	defaultRetention = time.Hour
	dupWindow        = 2 * time.Minute // JetStream's default duplicate window
)

// The headers of a call message and of a result message. Nats-Msg-Id is
// JetStream's: the server drops a message whose ID it stored within the
// duplicate window, so that a call resent after a lost acknowledgement,
// or the result of a call that ran twice, is stored once.
const (
	hdrMsgID    = jetstream.MsgIDHeader
	hdrFunc     = "Goasyncio-Func"
	hdrReply    = "Goasyncio-Reply"
	hdrAttempts = "Goasyncio-Attempts"
	hdrCall     = "Goasyncio-Call"
	hdrKind     = "Goasyncio-Kind"
	hdrWorker   = "Goasyncio-Worker"
	hdrDelivery = "Goasyncio-Delivery" // of a result: which hand-over of the call ran
)

// kindBroken is the kind of result a worker sends for a call that has
// been handed to workers more often than its attempts allow, with a text
// that says so; the other kinds are those of package remote.
const kindBroken byte = 100

// workersConsumer is the durable consumer that all workers of a queue pull
// calls from.
const workersConsumer = "workers"

// validName matches a queue's name, which becomes part of stream names and
// subjects, and a client's ID, which becomes a subject token.
var validName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// A queue names the streams and subjects of one queue.
type queue struct {
	name string
}

func newQueue(name string) (queue, error) {
	if name == "" {
		name = DefaultQueue
	}
	if !validName.MatchString(name) {
		return queue{}, fmt.Errorf("cluster: queue name %q: use 1 to 64 letters, digits, '-' or '_'", name)
	}
	return queue{name}, nil
}

func (q queue) callStream() string   { return q.name + "-calls" }
func (q queue) resultStream() string { return q.name + "-results" }
func (q queue) callSubject() string  { return q.name + ".calls" }

// resultSubject is where the results for the client with the given ID go.
func (q queue) resultSubject(client string) string { return q.name + ".results." + client }

// validReply reports whether subject is a result subject of q: a worker
// publishes only there, whatever a call message says.
func (q queue) validReply(subject string) bool {
	prefix := q.name + ".results."
	return len(subject) > len(prefix) && subject[:len(prefix)] == prefix && validName.MatchString(subject[len(prefix):])
}

// callStreamConfig is the work queue of calls: a call is removed once a
// worker acknowledges it, which it does after the call's result is stored.
func (q queue) callStreamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       q.callStream(),
		Subjects:   []string{q.callSubject()},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Duplicates: dupWindow,
	}
}

// resultStreamConfig keeps a result while its client's consumer has not
// acknowledged it, and at most for retention: a result for a client that
// is gone, or never read, does not pile up.
func (q queue) resultStreamConfig(retention time.Duration) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:       q.resultStream(),
		Subjects:   []string{q.name + ".results.*"},
		Retention:  jetstream.InterestPolicy,
		Storage:    jetstream.FileStorage,
		MaxAge:     retention,
		Duplicates: min(dupWindow, retention),
	}
}

// workersConfig is the consumer that workers share. A call that a worker
// holds for lease without a word goes to another worker; MaxDeliver is
// unlimited because workers count the attempts themselves (see
// worker.handle), so that a call's last failure is reported as a result
// rather than dropped by the server.
func (q queue) workersConfig(lease time.Duration) jetstream.ConsumerConfig {
	return jetstream.ConsumerConfig{
		Durable:       workersConsumer,
		FilterSubject: q.callSubject(),
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       lease,
		MaxDeliver:    -1,
		MaxAckPending: -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
}

// setUp creates the queue's streams and workers' consumer, or updates
// them to retention and lease.
func (q queue) setUp(ctx context.Context, js jetstream.JetStream, retention, lease time.Duration) error {
	if _, err := js.CreateOrUpdateStream(ctx, q.callStreamConfig()); err != nil {
		return fmt.Errorf("cluster: create stream %s: %w", q.callStream(), err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, q.resultStreamConfig(retention)); err != nil {
		return fmt.Errorf("cluster: create stream %s: %w", q.resultStream(), err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, q.callStream(), q.workersConfig(lease)); err != nil {
		return fmt.Errorf("cluster: create consumer %s: %w", workersConsumer, err)
	}
	return nil
}

// workers returns the workers' consumer, creating the queue with the
// default settings if it does not exist yet, and leaving it alone if it
// does: an executor's settings win over a worker's.
func (q queue) workers(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	c, err := js.Consumer(ctx, q.callStream(), workersConsumer)
	if errors.Is(err, jetstream.ErrStreamNotFound) || errors.Is(err, jetstream.ErrConsumerNotFound) {
		if err := q.setUp(ctx, js, defaultRetention, defaultLease); err != nil {
			return nil, err
		}
		c, err = js.Consumer(ctx, q.callStream(), workersConsumer)
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: consumer %s of stream %s: %w", workersConsumer, q.callStream(), err)
	}
	return c, nil
}

// parseAttempts reads the attempts header of a call.
func parseAttempts(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1
}

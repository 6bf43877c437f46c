package cluster

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
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

// setUp creates the queue's streams and workers' consumer if they do not
// exist, and, if update is set, updates those whose retention or lease
// differ. It touches nothing that is as it should be: nats-server 2.9
// refuses a creation that races another, and can crash updating a stream
// that another client is still creating, as happens when workers and
// executors start together on a new server.
func (q queue) setUp(ctx context.Context, js jetstream.JetStream, retention, lease time.Duration, update bool) error {
	if err := ensureStream(ctx, js, q.callStreamConfig(), update); err != nil {
		return err
	}
	if err := ensureStream(ctx, js, q.resultStreamConfig(retention), update); err != nil {
		return err
	}
	return ensureConsumer(ctx, js, q.callStream(), q.workersConfig(lease), update)
}

// ensureStream makes the stream of cfg exist, as described at setUp.
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig, update bool) error {
	return ensure(ctx, "stream "+cfg.Name, update, jetstream.ErrStreamNotFound,
		func(ctx context.Context) (jetstream.Stream, error) { return js.Stream(ctx, cfg.Name) },
		func(st jetstream.Stream) bool { return sameStream(st.CachedInfo().Config, cfg) },
		func(ctx context.Context) (jetstream.Stream, error) { return js.CreateStream(ctx, cfg) },
		func(ctx context.Context) (jetstream.Stream, error) { return js.UpdateStream(ctx, cfg) })
}

// sameStream reports whether the settings of the queue's streams that the
// package chooses are those of want.
func sameStream(have, want jetstream.StreamConfig) bool {
	return slices.Equal(have.Subjects, want.Subjects) && have.Retention == want.Retention &&
		have.Storage == want.Storage && have.MaxAge == want.MaxAge && have.Duplicates == want.Duplicates
}

// ensureConsumer makes the consumer of cfg exist, as described at setUp.
func ensureConsumer(ctx context.Context, js jetstream.JetStream, stream string, cfg jetstream.ConsumerConfig, update bool) error {
	return ensure(ctx, "consumer "+cfg.Durable+" of stream "+stream, update, jetstream.ErrConsumerNotFound,
		func(ctx context.Context) (jetstream.Consumer, error) { return js.Consumer(ctx, stream, cfg.Durable) },
		func(c jetstream.Consumer) bool { return c.CachedInfo().Config.AckWait == cfg.AckWait },
		func(ctx context.Context) (jetstream.Consumer, error) { return js.CreateConsumer(ctx, stream, cfg) },
		func(ctx context.Context) (jetstream.Consumer, error) { return js.UpdateConsumer(ctx, stream, cfg) })
}

// ensure looks for a stream or consumer; creates it if the answer is
// notFound, looking again if the creation fails, as it does when another
// client created it meanwhile; and, if update is set, updates it unless it
// is as wanted.
func ensure[T any](ctx context.Context, what string, update bool, notFound error,
	look func(context.Context) (T, error), asWanted func(T) bool, create, change func(context.Context) (T, error)) error {
	for try := 0; ; try++ {
		v, err := ask(ctx, look)
		switch {
		case err == nil && (!update || asWanted(v)):
			return nil
		case err == nil:
			_, err = ask(ctx, change)
		case errors.Is(err, notFound):
			if _, err = ask(ctx, create); err != nil && try == 0 {
				continue
			}
		}
		if err != nil {
			return fmt.Errorf("cluster: set up %s: %w", what, err)
		}
		return nil
	}
}

// workers returns the workers' consumer, creating the queue with the
// default settings if it does not exist yet, and leaving it alone if it
// does: an executor's settings win over a worker's.
func (q queue) workers(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	if err := q.setUp(ctx, js, defaultRetention, defaultLease, false); err != nil {
		return nil, err
	}
	c, err := ask(ctx, func(ctx context.Context) (jetstream.Consumer, error) {
		return js.Consumer(ctx, q.callStream(), workersConsumer)
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: consumer %s of stream %s: %w", workersConsumer, q.callStream(), err)
	}
	return c, nil
}

// pullExpiry is how long a request of a worker for calls, or of an
// executor for results, waits at the server before the client makes a new
// one; resultAckWait is how long the server waits for an executor to
// acknowledge a result before it sends the result again. Both are short
// because nats-server 2.9 can lose what it sends to a request made as a
// client starts (see ask): the server sends a lost message again after the
// acknowledgement wait, and to the oldest request that still waits, so the
// sooner a lost request expires, the sooner the message arrives.
const (
	pullExpiry    = 5 * time.Second
	resultAckWait = 10 * time.Second
)

// askTimeout bounds one request to the server's JetStream API, and
// askTries how many times ask makes it.
const (
	askTimeout = 2 * time.Second
	askTries   = 5
)

// ask makes a request to the server's JetStream API, and makes it again
// if no answer comes in time: nats-server 2.9 can lose the answers to
// requests that several new clients make at once (seen with Debian's
// 2.9.10: the server audits each request, and answers one). The requests
// of setUp are safe to repeat.
func ask[T any](ctx context.Context, request func(context.Context) (T, error)) (T, error) {
	for try := 1; ; try++ {
		rctx, cancel := context.WithTimeout(ctx, askTimeout)
		v, err := request(rctx)
		cancel()
		if try == askTries || ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			return v, err
		}
	}
}

// parseAttempts reads the attempts header of a call.
func parseAttempts(s string) (int, bool) {
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1
}

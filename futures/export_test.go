package futures

import (
	"bufio"
	"bytes"
	"io"
	"os"

	"github.com/goasyncio/asyncio/internal/ring"
)

// WorkerEnv is the variable that marks worker processes.
const WorkerEnv = workerEnv

// LiveWorkers returns how many worker goroutines p has started.
func LiveWorkers(p *ThreadPoolExecutor) int {
	p.pool.mu.Lock()
	defer p.pool.mu.Unlock()
	return p.pool.live
}

// MaxWorkers returns p's worker limit, 0 if not settled yet.
func MaxWorkers(p *ThreadPoolExecutor) int {
	p.pool.mu.Lock()
	defer p.pool.mu.Unlock()
	return p.pool.max
}

// DefaultThreadWorkers is the worker limit of a pool made with 0.
var DefaultThreadWorkers = defaultThreadWorkers

// Waiters returns how many Wait or AsCompleted calls watch f.
func Waiters[T any](f *Future[T]) int {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return len(f.c.waiters)
}

// MaxFrame is the most an argument or result may take, in bytes.
const MaxFrame = maxFrame

// Reply kinds.
const (
	ReplyHello         = replyHello
	ReplyValue         = replyValue
	ReplyNotRegistered = replyNotRegistered
	ReplyEncoding      = replyEncoding
)

// Serve is the worker's side of the protocol, reading requests from r and
// writing replies to w.
func Serve(r io.Reader, w io.Writer) error { return serve(r, w) }

// WatchLifeline calls gone when r ends, as a worker does with its
// lifeline.
func WatchLifeline(r io.Reader, gone func()) { watchLifeline(r, gone) }

// RequestFrame returns the frame that asks for a call of name with the
// JSON argument arg.
func RequestFrame(name string, arg []byte) []byte {
	b, err := appendRequest(nil, name, arg)
	if err != nil {
		panic(err)
	}
	return b
}

// ReplyFrame returns the frame of a reply.
func ReplyFrame(kind byte, payload []byte) []byte {
	var buf bytes.Buffer
	bw := bufio.NewWriter(&buf)
	if _, err := writeReply(bw, nil, kind, payload); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// ReadReply reads a reply frame from r as the pool does.
func ReadReply(r *bufio.Reader) (kind byte, payload []byte, err error) {
	var buf []byte
	return readReply(r, &buf)
}

// IsMalformed reports whether err says that a frame failed its checks.
func IsMalformed(err error) bool {
	_, ok := isMalformed(err)
	return ok
}

// ReadNow reads what the pipe f holds without waiting, as the pool reads
// the reply pipe of a worker that has been reaped.
func ReadNow(f *os.File, b []byte) (int, error) { return readNow(f, b) }

// ErrWorkerGone is what ReadNow returns for a pipe that holds nothing and
// still has a writer.
var ErrWorkerGone = errWorkerGone

// A FIFO is the queue of a pool's pending jobs, holding ints.
type FIFO struct{ q ring.Ring[int] }

func (f *FIFO) Push(v int) { f.q.Push(v) }

// Pop removes the oldest, as the pool's slots do, reporting whether there
// was one.
func (f *FIFO) Pop() (int, bool) {
	if f.q.Len() == 0 {
		return 0, false
	}
	return f.q.Pop(), true
}

// Cap returns the capacity of the queue's array.
func (f *FIFO) Cap() int { return f.q.Cap() }

// IsShutdown reports whether p has been shut down, for tests that call
// Shutdown(true) on a goroutine of their own and must know when it has
// closed the pool.
func IsShutdown(p *ThreadPoolExecutor) bool {
	p.pool.mu.Lock()
	defer p.pool.mu.Unlock()
	return p.pool.closed
}

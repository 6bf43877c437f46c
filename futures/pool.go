package futures

// This file holds the scheduling that ThreadPoolExecutor and
// ProcessPoolExecutor share. A pool has a FIFO queue of pending jobs and up
// to max slots; a slot is a goroutine that runs one job at a time (in
// process, or in the worker process it owns). Invariants, under mu:
//
//   - A queued job's future is Pending or Cancelled. A slot claims a job
//     under mu; a task's future becomes Running then, so State shows
//     Running exactly for the work that has a slot. A remote call's future
//     stays Pending until the slot has sent its request to a worker process
//     (see worker.send), and may be cancelled until then.
//   - Slots are started lazily, one per put that finds no idle slot, up
//     to max; they exit only once the pool is closed and the queue is empty.
//   - If the queue holds a job, no slot is idle: put queues only when every
//     slot is busy, and a slot parks only when the queue is empty.
//   - A slot is released, taking the next queued job or parking, before the
//     future of the job it ran is completed; so once a future is done, its
//     worker is free for the next Submit. (Not so for a remote call
//     cancelled after its slot claimed it: Cancel completes the future, and
//     the slot notices when it comes to send the request.)
//
// Handing a task to an idle slot, or starting a slot for it, marks the future
// running before put returns, so Submit's caller sees "running" at once when
// a worker is free, as Python's executor shows. The rejected alternative, a
// shared channel that workers receive from, leaves the future pending until
// the receiving goroutine gets scheduled.

import (
	"sync"

	"github.com/goasyncio/asyncio/internal/ring"
)

// A job is one unit of work on a pool.
type job interface {
	// claim is called, under the pool's mutex, when a slot takes the job.
	// It reports false if the job was cancelled while queued; then the job
	// is dropped. A task's claim marks its future running.
	claim() bool
	// cancel cancels the job's pending future.
	cancel()
}

type pool[J job] struct {
	mu     sync.Mutex
	max    int      // most slots; 0 until set by the constructor or first put
	live   int      // slots started
	idle   []chan J // parked slots, each waiting on its own channel
	queue  ring.Ring[J]
	closed bool
	slots  sync.WaitGroup // one count per running slot goroutine
}

// put gives j to the pool. It hands j to an idle slot, or reports
// newSlot = true when the caller must start a slot goroutine with j as its
// first job, or queues j. In the first two cases j is claimed when put
// returns. It fails with ErrShutdown once the pool is closed. max is the
// slot limit used if none was set.
func (p *pool[J]) put(j J, max func() int) (newSlot bool, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false, ErrShutdown
	}
	if n := len(p.idle); n > 0 {
		ch := p.idle[n-1] // the most recently parked slot: its stack is warm
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		j.claim()
		ch <- j // buffered and empty: does not block
		return false, nil
	}
	if p.max <= 0 {
		p.max = max()
	}
	if p.live < p.max {
		p.live++
		p.slots.Add(1)
		j.claim()
		return true, nil
	}
	p.queue.Push(j)
	return false, nil
}

// A slot is the state of one worker goroutine. It is separate from the
// goroutine so that, if a function ends the goroutine with runtime.Goexit,
// another one can take the slot over where it was.
type slot[J job] struct {
	p       *pool[J]
	ch      chan J // where put hands over a job while the slot is parked
	claimed bool   // release has run since the last take
	next    J      // what release found, if ok and not parked
	ok      bool   // false: exit, unless parked
	parked  bool   // ch is in p.idle
}

func (p *pool[J]) newSlot() *slot[J] {
	return &slot[J]{p: p, ch: make(chan J, 1)}
}

// release tells the pool that the slot's current function has returned. It
// is called before the function's future is completed, so that whoever sees
// the future done also finds the slot free: either the slot has claimed the
// oldest queued job that is not cancelled, or it is parked as
// idle for put to hand the next job to, or, the pool being closed and the
// queue empty, it is to exit.
func (s *slot[J]) release() {
	p := s.p
	p.mu.Lock()
	defer p.mu.Unlock()
	s.claimed = true
	for p.queue.Len() > 0 {
		j := p.queue.Pop()
		if j.claim() {
			s.next, s.ok, s.parked = j, true, false
			return
		}
	}
	if p.closed {
		s.ok, s.parked = false, false
		return
	}
	p.idle = append(p.idle, s.ch)
	s.parked = true
}

// take returns the slot's next job, releasing the slot first if its last
// job did not, and waiting if it is parked. It reports false when the slot
// must exit.
func (s *slot[J]) take() (J, bool) {
	if !s.claimed {
		s.release()
	}
	s.claimed = false
	if s.parked {
		s.parked = false
		j, ok := <-s.ch // closed by shutdown
		return j, ok
	}
	j := s.next
	var zero J
	s.next = zero
	return j, s.ok
}

// shutdown closes the pool. With cancelQueued, the queued jobs are cancelled
// (on this goroutine, after the lock is released, since cancelling runs
// done callbacks); otherwise the slots still run them. With wait, shutdown
// returns once every slot has exited.
func (p *pool[J]) shutdown(cancelQueued, wait bool) {
	p.mu.Lock()
	p.closed = true
	for _, ch := range p.idle {
		close(ch)
	}
	p.idle = nil
	var dropped []J
	if cancelQueued {
		dropped = p.queue.Drain()
	}
	p.mu.Unlock()
	for _, j := range dropped {
		j.cancel()
	}
	if wait {
		p.slots.Wait()
	}
}

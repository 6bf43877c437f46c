package futures

import "runtime"

// A ThreadPoolExecutor runs submitted functions on a fixed maximum number of
// worker goroutines, Python's ThreadPoolExecutor with goroutines for
// threads. Workers start lazily, one per Submit that finds none idle, until
// there are maxWorkers of them; work beyond that waits in an unbounded
// queue and is taken first in, first out. Idle workers stay until
// Shutdown.
//
// The zero ThreadPoolExecutor is ready to use, with the default number of
// workers. Its methods may be called from any goroutine. A
// ThreadPoolExecutor must not be copied after first use.
type ThreadPoolExecutor struct {
	_    noCopy
	pool pool[task]
}

// NewThreadPool returns a pool of at most maxWorkers worker goroutines. If
// maxWorkers <= 0 it uses Python's default, min(32, runtime.NumCPU()+4).
func NewThreadPool(maxWorkers int) *ThreadPoolExecutor {
	p := new(ThreadPoolExecutor)
	p.pool.max = maxWorkers
	return p
}

func defaultThreadWorkers() int { return min(32, runtime.NumCPU()+4) }

func (p *ThreadPoolExecutor) submit(t task) error {
	if p == nil {
		panic("futures: Submit to a nil *ThreadPoolExecutor")
	}
	newWorker, err := p.pool.put(t, defaultThreadWorkers)
	if newWorker {
		go p.work(p.pool.newSlot(), t, true)
	}
	return err
}

// Shutdown stops the pool from accepting work: a later Submit returns a
// future failed with ErrShutdown. Work submitted before still runs, queued
// work included. If wait is true, Shutdown returns once all of it is done
// and every worker goroutine has exited; if false, it returns at once and
// the workers exit by themselves when the queue is empty.
//
// Calling Shutdown more than once is harmless, and Shutdown(true) after
// Shutdown(false) or ShutdownNow waits. Shutdown(true) called from a
// function running in the pool deadlocks, as it waits for that function.
func (p *ThreadPoolExecutor) Shutdown(wait bool) {
	p.pool.shutdown(false, wait)
}

// ShutdownNow stops the pool as Shutdown(false) does, and also cancels the
// work still queued, as Python's shutdown(cancel_futures=True) does: those
// futures end cancelled, and their done callbacks run on the calling
// goroutine before ShutdownNow returns. Running functions are not
// interrupted; call Shutdown(true) afterwards to wait for them.
func (p *ThreadPoolExecutor) ShutdownNow() {
	p.pool.shutdown(true, false)
}

// work is the loop of one worker goroutine, which runs t first if ok.
func (p *ThreadPoolExecutor) work(s *slot[task], t task, ok bool) {
	goexit := true
	defer func() {
		if goexit {
			// A function called runtime.Goexit, and this goroutine is
			// ending regardless. Another one takes over the slot, and its
			// count in p.pool.slots.
			go p.work(s, nil, false)
			return
		}
		p.pool.slots.Done()
	}()
	for {
		if !ok {
			if t, ok = s.take(); !ok {
				break
			}
		}
		t.run(s)
		ok = false
	}
	goexit = false
}

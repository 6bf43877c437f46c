package asyncio

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/goasyncio/asyncio/internal/ring"
)

// A Queue passes items between tasks of one loop, first in, first out: the
// counterpart of asyncio.Queue. A queue with a maximum size is bounded: Put
// waits while it is full. Get waits while it is empty.
//
// Items leave the queue in its order, and tasks blocked in Get or Put are
// served in the order they called: when an item or a slot frees up, it is
// promised to the first waiter, and a later Get or Put queues behind the
// waiters, even those woken but not yet resumed. A waiter that is cancelled
// after the promise passes it on: nothing is lost and nothing is taken
// twice. The Nowait forms (and their Try twins) do not wait their turn: they succeed whenever
// there is an item or slot that no waiter was promised.
//
// TaskDone and Join count items in progress, and Shutdown ends the queue, as
// in Python 3.13.
//
// The zero Queue is an unbounded FIFO queue, ready to use; NewQueue makes a
// bounded one. A Queue belongs to the loop of the first task that uses it;
// its methods must be called on that loop's goroutine. A Queue must not be
// copied.
type Queue[T any] struct {
	_            noCopy
	maxsize      int
	items        buffer[T]
	getters      waitList
	putters      waitList
	reservedGets int // items promised to woken getters
	reservedPuts int // slots promised to woken putters
	unfinished   int // items put and not yet marked done
	finished     Event
	shutdown     bool
}

// NewQueue returns a FIFO queue that holds at most maxsize items, or any
// number if maxsize <= 0.
func NewQueue[T any](maxsize int) *Queue[T] {
	return &Queue[T]{maxsize: max(maxsize, 0)}
}

// A LifoQueue is a Queue whose Get returns the item put last: the
// counterpart of asyncio.LifoQueue. Make one with NewLifoQueue.
type LifoQueue[T any] struct {
	Queue[T]
}

// NewLifoQueue returns a LIFO queue that holds at most maxsize items, or any
// number if maxsize <= 0.
func NewLifoQueue[T any](maxsize int) *LifoQueue[T] {
	q := &LifoQueue[T]{}
	q.maxsize = max(maxsize, 0)
	q.items.kind = lifoBuffer
	return q
}

// A PriorityQueue is a Queue whose Get returns the least item, as ordered by
// the less function it was made with: the counterpart of
// asyncio.PriorityQueue. Make one with NewPriorityQueue.
type PriorityQueue[T any] struct {
	Queue[T]
}

// NewPriorityQueue returns a priority queue that holds at most maxsize
// items, or any number if maxsize <= 0, and orders them by less. It panics
// if less is nil.
func NewPriorityQueue[T any](maxsize int, less func(a, b T) bool) *PriorityQueue[T] {
	if less == nil {
		panic("asyncio: NewPriorityQueue with a nil less function")
	}
	q := &PriorityQueue[T]{}
	q.maxsize = max(maxsize, 0)
	q.items.kind = heapBuffer
	q.items.less = less
	return q
}

// Put adds v to the queue, waiting while the queue is full. It returns
// ErrQueueShutDown if the queue is shut down (before or while it waits), and
// ErrCancelled if the task is cancelled while it waits; in both cases v was
// not added. Put panics as Await does when ctx does not belong to the
// running task.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	q.getters.check(ctx, "Queue.Put")
	if q.shutdown {
		return ErrQueueShutDown
	}
	if q.hasRoom() && !q.putters.queued() {
		q.add(v)
		return nil
	}
	r, err := q.putters.wait(ctx, awaitQueuePut)
	if r == wakeGranted {
		q.reservedPuts--
	}
	switch {
	case err != nil:
		q.wakePutters() // pass on a slot we were promised, or that freed up as we left
		return err
	case q.shutdown:
		q.wakePutters()
		return ErrQueueShutDown
	}
	q.add(v)
	q.wakePutters() // putters that queued behind us while we were promised a slot
	return nil
}

// PutNowait adds v if the queue has room and no task waits to put, and
// returns ErrQueueFull otherwise, or ErrQueueShutDown.
func (q *Queue[T]) PutNowait(v T) error {
	switch {
	case q.shutdown:
		return ErrQueueShutDown
	case !q.hasRoom() || q.putters.waiting():
		return ErrQueueFull
	}
	q.add(v)
	return nil
}

// TryPut is PutNowait in the spelling of Go's Try methods: it adds v if
// the queue has room, is not shut down and no task waits to put, and
// reports whether it did. PutNowait's error says why not.
func (q *Queue[T]) TryPut(v T) bool { return q.PutNowait(v) == nil }

// Get removes and returns the next item, waiting while the queue is empty.
// It returns ErrQueueShutDown once the queue is shut down and empty, and
// ErrCancelled if the task is cancelled while it waits; then no item was
// taken. Get panics as Await does when ctx does not belong to the running
// task.
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	q.getters.check(ctx, "Queue.Get")
	var zero T
	if q.available() > 0 && !q.getters.queued() {
		return q.take(), nil
	}
	if q.shutdown && q.available() <= 0 {
		return zero, ErrQueueShutDown
	}
	r, err := q.getters.wait(ctx, awaitQueueGet)
	if r == wakeGranted {
		q.reservedGets--
	}
	switch {
	case err != nil:
		q.wakeGetters() // pass on an item we were promised, or that came as we left
		return zero, err
	case q.available() > 0:
		v := q.take()
		q.wakeGetters() // getters that queued behind us while we were promised an item
		return v, nil
	}
	return zero, ErrQueueShutDown // woken by Shutdown, or promised an item Shutdown dropped
}

// All returns an iterator over the items of the queue, each taken with
// Get, for `for v := range q.All(ctx)`: a consumer that runs until the
// queue is shut down. Iteration ends once the queue is shut down and empty,
// when the loop body breaks, or when the task is interrupted while it waits
// for an item (see Cancellation in the package doc); after an interruption
// the task's next wait returns ErrCancelled. An item is taken before the
// body sees it, as with Get: a consumer of a queue that others Join calls
// TaskDone when it has processed it. All panics as Get does.
func (q *Queue[T]) All(ctx context.Context) iter.Seq[T] {
	return func(yield func(T) bool) {
		for {
			v, err := q.Get(ctx)
			if err != nil {
				if !errors.Is(err, ErrQueueShutDown) {
					taskOf(ctx).mustCancel = true // not lost: the next wait ends with it
				}
				return
			}
			if !yield(v) {
				return
			}
		}
	}
}

// GetNowait removes and returns the next item if there is one that no
// waiting task was promised, and returns ErrQueueEmpty otherwise, or
// ErrQueueShutDown once the queue is shut down and empty.
func (q *Queue[T]) GetNowait() (T, error) {
	var zero T
	switch {
	case q.available() > 0 && !q.getters.waiting():
		return q.take(), nil
	case q.shutdown && q.items.len() == 0:
		return zero, ErrQueueShutDown
	}
	return zero, ErrQueueEmpty
}

// TryGet is GetNowait in the spelling of Go's Try methods: it removes and
// returns the next item if there is one that no waiting task was promised,
// and reports whether it did. GetNowait's error says why not.
func (q *Queue[T]) TryGet() (T, bool) {
	v, err := q.GetNowait()
	return v, err == nil
}

// TaskDone marks one item taken from the queue as processed; when every
// item put has been marked, Join returns. Calling it more times than items
// were put panics.
func (q *Queue[T]) TaskDone() {
	if q.unfinished <= 0 {
		panic("asyncio: Queue.TaskDone called more times than items were put")
	}
	q.unfinished--
	if q.unfinished == 0 {
		q.finished.Set()
	}
}

// Join waits until every item put in the queue has been marked done with
// TaskDone. It returns ErrCancelled if the task is cancelled first.
func (q *Queue[T]) Join(ctx context.Context) error {
	q.getters.check(ctx, "Queue.Join")
	if q.unfinished == 0 {
		return nil
	}
	return q.finished.Wait(ctx)
}

// Shutdown ends the queue: Put fails with ErrQueueShutDown from now on,
// including for the tasks waiting to put; Get goes on returning the items
// left, then fails with ErrQueueShutDown, waiting getters included. With
// immediate, the items left are dropped and count as done for Join.
// Shutting down twice is harmless.
func (q *Queue[T]) Shutdown(immediate bool) {
	q.shutdown = true
	if immediate {
		for q.items.len() > 0 {
			q.items.pop()
			q.unfinished = max(q.unfinished-1, 0)
		}
		if q.unfinished == 0 {
			q.finished.Set()
		}
	}
	q.getters.wakeAll(wakeRecheck)
	q.putters.wakeAll(wakeRecheck)
}

// Len returns the number of items in the queue.
func (q *Queue[T]) Len() int { return q.items.len() }

// Maxsize returns the most items the queue holds, or 0 if it is unbounded.
func (q *Queue[T]) Maxsize() int { return q.maxsize }

// Empty reports whether the queue holds no items.
func (q *Queue[T]) Empty() bool { return q.items.len() == 0 }

// Full reports whether the queue is bounded and holds Maxsize items.
func (q *Queue[T]) Full() bool { return q.maxsize > 0 && q.items.len() >= q.maxsize }

// String describes the queue, e.g. "<Queue maxsize=2 len=1 getters=0 putters=0>".
func (q *Queue[T]) String() string {
	return fmt.Sprintf("<Queue maxsize=%d len=%d getters=%d putters=%d unfinished=%d>",
		q.maxsize, q.items.len(), q.getters.list.Len(), q.putters.list.Len(), q.unfinished)
}

// available returns the number of items not promised to woken getters.
func (q *Queue[T]) available() int { return q.items.len() - q.reservedGets }

// hasRoom reports whether a slot is free that no woken putter was promised.
func (q *Queue[T]) hasRoom() bool {
	return q.maxsize == 0 || q.items.len()+q.reservedPuts < q.maxsize
}

func (q *Queue[T]) add(v T) {
	q.items.push(v)
	q.unfinished++
	q.finished.Clear()
	q.wakeGetters()
}

func (q *Queue[T]) take() T {
	v := q.items.pop()
	q.wakePutters()
	return v
}

// wakeGetters promises the items no one was promised to waiting getters.
func (q *Queue[T]) wakeGetters() {
	for q.available() > 0 && q.getters.wakeFirst(wakeGranted) {
		q.reservedGets++
	}
}

// wakePutters promises the free slots to waiting putters.
func (q *Queue[T]) wakePutters() {
	for !q.shutdown && q.hasRoom() && q.putters.wakeFirst(wakeGranted) {
		q.reservedPuts++
	}
}

type bufferKind uint8

const (
	fifoBuffer bufferKind = iota
	lifoBuffer
	heapBuffer
)

// A buffer holds a queue's items in the order its kind gives them out.
type buffer[T any] struct {
	kind  bufferKind
	fifo  ring.Ring[T]
	items []T // lifoBuffer: a stack; heapBuffer: a binary heap ordered by less
	less  func(a, b T) bool
}

func (b *buffer[T]) len() int {
	if b.kind == fifoBuffer {
		return b.fifo.Len()
	}
	return len(b.items)
}

func (b *buffer[T]) push(v T) {
	switch b.kind {
	case fifoBuffer:
		b.fifo.Push(v)
	case lifoBuffer:
		b.items = append(b.items, v)
	case heapBuffer:
		b.items = append(b.items, v)
		b.up(len(b.items) - 1)
	}
}

// pop removes the next item; the buffer must not be empty.
func (b *buffer[T]) pop() T {
	if b.kind == fifoBuffer {
		return b.fifo.Pop()
	}
	var zero T
	n := len(b.items) - 1
	if b.kind == heapBuffer {
		b.items[0], b.items[n] = b.items[n], b.items[0]
		b.down(0, n)
	}
	v := b.items[n]
	b.items[n] = zero
	b.items = b.items[:n]
	return v
}

func (b *buffer[T]) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !b.less(b.items[j], b.items[i]) {
			break
		}
		b.items[i], b.items[j] = b.items[j], b.items[i]
		j = i
	}
}

// down sifts the item at i down within the first n items.
func (b *buffer[T]) down(i, n int) {
	for {
		j := 2*i + 1
		if j >= n {
			return
		}
		if r := j + 1; r < n && b.less(b.items[r], b.items[j]) {
			j = r
		}
		if !b.less(b.items[j], b.items[i]) {
			return
		}
		b.items[i], b.items[j] = b.items[j], b.items[i]
		i = j
	}
}

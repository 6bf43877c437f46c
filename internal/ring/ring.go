// Package ring holds the first-in, first-out queue that the loop's ready
// queue, the items of an asyncio.Queue, AsCompleted's completions and a
// futures pool's pending jobs are kept in.
package ring

// A Ring is an unbounded FIFO queue on a circular buffer whose length is a
// power of two. Push and Pop take amortized constant time and allocate
// nothing once the buffer has grown to the working size; a queue that never
// empties keeps reusing the slots that pops free. The zero Ring is empty and
// ready to use. A Ring is not safe for concurrent use.
type Ring[T any] struct {
	buf        []T
	head, size int
}

// Len returns how many elements the ring holds.
func (r *Ring[T]) Len() int { return r.size }

// Cap returns how many elements the ring holds before its buffer grows.
func (r *Ring[T]) Cap() int { return len(r.buf) }

// Push adds v at the back.
func (r *Ring[T]) Push(v T) {
	if r.size == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.size)&(len(r.buf)-1)] = v
	r.size++
}

// Pop removes and returns the oldest element. The ring must not be empty.
func (r *Ring[T]) Pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero // let the garbage collector have it
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.size--
	return v
}

// minGrow is the buffer a ring starts with: small, as a pool's queue of
// jobs is often one or two long, while a busy loop soon grows its own.
const minGrow = 8

func (r *Ring[T]) grow() {
	n := max(2*len(r.buf), minGrow)
	buf := make([]T, n)
	k := copy(buf, r.buf[r.head:])
	copy(buf[k:], r.buf[:r.head])
	r.buf, r.head = buf, 0
}

// Shrink gives back a buffer of more than 1024 slots that is at most a
// quarter full, after a burst, keeping at least 64 slots.
func (r *Ring[T]) Shrink() {
	n := len(r.buf)
	if n <= 1024 || r.size > n/4 {
		return
	}
	for n > 64 && r.size <= n/4 {
		n /= 2
	}
	buf := make([]T, n)
	for i := range r.size {
		buf[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
	}
	r.buf, r.head = buf, 0
}

// Clear drops every element.
func (r *Ring[T]) Clear() {
	clear(r.buf)
	r.head, r.size = 0, 0
}

// Drain removes and returns every element, oldest first, and lets the
// buffer go.
func (r *Ring[T]) Drain() []T {
	vs := make([]T, r.size)
	for i := range vs {
		vs[i] = r.buf[(r.head+i)&(len(r.buf)-1)]
	}
	r.buf, r.head, r.size = nil, 0, 0
	return vs
}

package asyncio

// A ring is a FIFO queue on a circular buffer whose length is a power of
// two. The loop's ready queue is a ring: pushes and pops are O(1) and
// allocation-free once the buffer has grown to the working size.
type ring[T any] struct {
	buf        []T
	head, size int
}

func (r *ring[T]) len() int { return r.size }

func (r *ring[T]) push(v T) {
	if r.size == len(r.buf) {
		r.grow()
	}
	r.buf[(r.head+r.size)&(len(r.buf)-1)] = v
	r.size++
}

// pop removes and returns the oldest element; the ring must not be empty.
func (r *ring[T]) pop() T {
	var zero T
	v := r.buf[r.head]
	r.buf[r.head] = zero // let the garbage collector have it
	r.head = (r.head + 1) & (len(r.buf) - 1)
	r.size--
	return v
}

func (r *ring[T]) grow() {
	n := 2 * len(r.buf)
	if n == 0 {
		n = 64
	}
	buf := make([]T, n)
	k := copy(buf, r.buf[r.head:])
	copy(buf[k:], r.buf[:r.head])
	r.buf, r.head = buf, 0
}

// shrink gives back a buffer that is mostly empty after a burst.
func (r *ring[T]) shrink() {
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

// clear drops every element.
func (r *ring[T]) clear() {
	clear(r.buf)
	r.head, r.size = 0, 0
}

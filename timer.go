package asyncio

import "time"

// A timer is an entry of the loop's timer heap: at loop time when, r moves
// to the ready queue. Timers with equal deadlines fire in the order they were
// scheduled (seq), so that code which sleeps the same duration wakes in the
// order it went to sleep.
type timer struct {
	when  time.Duration
	seq   uint64
	index int // position in the heap; -1 when not in it
	r     runnable
}

// A timerHeap is a binary min-heap of timers ordered by (when, seq). It is
// written out rather than built on container/heap so that the loop's hot path
// makes no interface calls. Push, pop and remove cost O(log n).
type timerHeap []*timer

func (h timerHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	return a.when < b.when || (a.when == b.when && a.seq < b.seq)
}

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) push(t *timer) {
	t.index = len(*h)
	*h = append(*h, t)
	h.up(t.index)
}

// pop removes and returns the earliest timer; the heap must not be empty.
func (h *timerHeap) pop() *timer {
	return h.remove(0)
}

// remove takes the timer at index i out of the heap and returns it.
func (h *timerHeap) remove(i int) *timer {
	old := *h
	n := len(old) - 1
	t := old[i]
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*h = old[:n]
	if i != n {
		if !h.down(i) {
			h.up(i)
		}
	}
	t.index = -1
	return t
}

func (h timerHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

// down sifts the element at i0 down and reports whether it moved.
func (h timerHeap) down(i0 int) bool {
	i, n := i0, len(h)
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}

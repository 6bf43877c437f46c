package futures_test

import (
	"testing"

	"github.com/goasyncio/asyncio/futures"
)

// TestFIFOThatNeverEmptiesStaysSmall pins that a pool's queue reuses the
// front of its array that pops have consumed: a queue that never empties,
// as a busy pool's may not for hours, holds on to no more than a small
// multiple of its longest length, however many jobs pass through, and
// keeps them in order.
func TestFIFOThatNeverEmptiesStaysSmall(t *testing.T) {
	for _, length := range []int{1, 2, 3, 10, 100} {
		var q futures.FIFO
		next, want := 0, 0
		for range length {
			q.Push(next)
			next++
		}
		for range 100 * length {
			q.Push(next) // length+1 queued
			next++
			if v, ok := q.Pop(); !ok || v != want {
				t.Fatalf("length %d: Pop() = %d, %v; want %d, true", length, v, ok, want)
			}
			want++
		}
		if c := q.Cap(); c > 4*(length+1) {
			t.Errorf("length %d: array of %d after %d pushes, want at most %d", length, c, next, 4*(length+1))
		}
		for ; want < next; want++ {
			if v, ok := q.Pop(); !ok || v != want {
				t.Fatalf("length %d: Pop() = %d, %v; want %d, true", length, v, ok, want)
			}
		}
		if _, ok := q.Pop(); ok {
			t.Errorf("length %d: Pop of an empty queue reported a value", length)
		}
	}
}

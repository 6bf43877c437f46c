package ring_test

import (
	"slices"
	"testing"

	"github.com/goasyncio/asyncio/internal/ring"
)

// A ring shrunk with elements in it, wrapped around the end of its buffer
// or not, keeps them in order, and keeps at least 64 slots and room for
// them. (The loop shrinks its ready queue only when it is empty; the ring
// does not rely on that.)
func TestShrinkKeepsWhatItHolds(t *testing.T) {
	for _, c := range []struct{ grown, popped, held int }{
		{4096, 0, 10}, {4096, 4000, 50}, {4096, 100, 600}, {2048, 2040, 1}, {4096, 4090, 0},
	} {
		var r ring.Ring[int]
		for i := range c.grown {
			r.Push(i)
		}
		for range c.popped {
			r.Pop()
		}
		for i := range c.held { // wraps past the end once popped >= grown-held
			r.Push(c.grown + i)
		}
		want := r.Len()
		r.Shrink()
		n := r.Cap()
		if n < 64 || n < want || n&(n-1) != 0 || n >= c.grown && want <= c.grown/4 {
			t.Errorf("%+v: shrunk to %d slots for %d elements", c, n, want)
		}
		for i := range want {
			if v := r.Pop(); v != c.popped+i {
				t.Fatalf("%+v: element %d is %d, want %d", c, i, v, c.popped+i)
			}
		}
	}
}

// A ring that never empties reuses the slots that pops free: its buffer
// stays within a small multiple of its longest length however many
// elements pass through, and it keeps them in order.
func TestNeverEmptyStaysSmall(t *testing.T) {
	for _, length := range []int{1, 2, 3, 10, 100} {
		var r ring.Ring[int]
		next, want := 0, 0
		for range length {
			r.Push(next)
			next++
		}
		for range 100 * length {
			r.Push(next)
			next++
			if v := r.Pop(); v != want {
				t.Fatalf("length %d: Pop() = %d, want %d", length, v, want)
			}
			want++
		}
		if c := r.Cap(); c > 4*(length+1) {
			t.Errorf("length %d: buffer of %d after %d pushes, want at most %d", length, c, next, 4*(length+1))
		}
	}
}

func TestDrainAndClear(t *testing.T) {
	var r ring.Ring[int]
	if got := r.Drain(); len(got) != 0 {
		t.Errorf("Drain of the zero Ring = %v", got)
	}
	for i := range 20 {
		r.Push(i)
	}
	for range 15 {
		r.Pop()
	}
	for i := 20; i < 30; i++ { // wraps
		r.Push(i)
	}
	if got, want := r.Drain(), []int{15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29}; !slices.Equal(got, want) {
		t.Errorf("Drain = %v, want %v", got, want)
	}
	if r.Len() != 0 || r.Cap() != 0 {
		t.Errorf("after Drain: Len %d, Cap %d; want 0, 0", r.Len(), r.Cap())
	}
	r.Push(1)
	r.Clear()
	if r.Len() != 0 {
		t.Errorf("after Clear: Len %d", r.Len())
	}
}

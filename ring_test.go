package asyncio

import "testing"

// A ring shrunk with elements in it, wrapped around the end of its buffer
// or not, keeps them in order, and keeps at least 64 slots and room for
// them. (The loop shrinks its ready queue only when it is empty; the ring
// does not rely on that.)
func TestRingShrinkKeepsWhatItHolds(t *testing.T) {
	for _, c := range []struct{ grown, popped, held int }{
		{4096, 0, 10}, {4096, 4000, 50}, {4096, 100, 600}, {2048, 2040, 1}, {4096, 4090, 0},
	} {
		var r ring[int]
		for i := range c.grown {
			r.push(i)
		}
		for range c.popped {
			r.pop()
		}
		for i := range c.held { // wraps past the end once popped >= grown-held
			r.push(c.grown + i)
		}
		want := r.size
		r.shrink()
		n := len(r.buf)
		if n < 64 || n < want || n&(n-1) != 0 || n >= c.grown && want <= c.grown/4 {
			t.Errorf("%+v: shrunk to %d slots for %d elements", c, n, want)
		}
		for i := range want {
			if v := r.pop(); v != c.popped+i {
				t.Fatalf("%+v: element %d is %d, want %d", c, i, v, c.popped+i)
			}
		}
	}
}

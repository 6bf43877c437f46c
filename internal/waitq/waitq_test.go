package waitq

import (
	"slices"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func values(l *List[int]) []int {
	var vs []int
	for n := l.Front(); n != nil; n = n.Next() {
		vs = append(vs, n.Value)
	}
	return vs
}

func TestFIFOAndRemove(t *testing.T) {
	cases := []struct {
		name   string
		remove []int // indexes of pushed nodes to remove, in order
		want   []int
	}{
		{"none", nil, []int{0, 1, 2, 3}},
		{"front", []int{0}, []int{1, 2, 3}},
		{"back", []int{3}, []int{0, 1, 2}},
		{"middle", []int{1, 2}, []int{0, 3}},
		{"all", []int{2, 0, 3, 1}, nil},
		{"twice", []int{1, 1}, []int{0, 2, 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var l List[int]
			var nodes []*Node[int]
			for i := range 4 {
				nodes = append(nodes, l.PushBack(i))
			}
			for _, i := range c.remove {
				l.Remove(nodes[i])
			}
			if got := values(&l); !slices.Equal(got, c.want) || l.Len() != len(c.want) {
				t.Errorf("list %v (len %d), want %v", got, l.Len(), c.want)
			}
			l.PushBack(9)
			if got := values(&l); got[len(got)-1] != 9 {
				t.Errorf("PushBack after removals: %v", got)
			}
		})
	}
}

func TestRemoveFromOtherList(t *testing.T) {
	var a, b List[int]
	n := a.PushBack(1)
	if b.Remove(n) || a.Len() != 1 {
		t.Error("a node was removed through another list")
	}
}

// Package waitq is the FIFO list of waiters that every synchronization
// primitive and queue of package asyncio shares, so that fairness is decided
// in one place: waiters are served in the order they arrived, and one that
// gives up (is cancelled) leaves the list in O(1) without disturbing the
// order of the others.
package waitq

// A List is a doubly linked FIFO list. The zero List is empty and ready to
// use. It is not safe for concurrent use.
type List[T any] struct {
	head, tail *Node[T]
	n          int
}

// A Node is an entry of a List.
type Node[T any] struct {
	Value      T
	prev, next *Node[T]
	list       *List[T]
}

// Len returns the number of nodes in l.
func (l *List[T]) Len() int { return l.n }

// Front returns the oldest node, or nil if l is empty.
func (l *List[T]) Front() *Node[T] { return l.head }

// Next returns the node after n, or nil if n is the last.
func (n *Node[T]) Next() *Node[T] { return n.next }

// PushBack adds v at the end of l and returns its node.
func (l *List[T]) PushBack(v T) *Node[T] {
	n := new(Node[T])
	n.Value = v
	l.PushBackNode(n)
	return n
}

// PushBackNode adds n, which must not be in a list, at the end of l: a node
// that was removed can be pushed again instead of a new one.
func (l *List[T]) PushBackNode(n *Node[T]) {
	if n.list != nil {
		panic("waitq: PushBackNode of a node that is in a list")
	}
	n.prev, n.next, n.list = l.tail, nil, l
	if l.tail != nil {
		l.tail.next = n
	} else {
		l.head = n
	}
	l.tail = n
	l.n++
}

// Remove takes n out of l and reports whether it was in l; removing a node
// twice is harmless.
func (l *List[T]) Remove(n *Node[T]) bool {
	if n.list != l {
		return false
	}
	if n.prev != nil {
		n.prev.next = n.next
	} else {
		l.head = n.next
	}
	if n.next != nil {
		n.next.prev = n.prev
	} else {
		l.tail = n.prev
	}
	n.prev, n.next, n.list = nil, nil, nil
	l.n--
	return true
}

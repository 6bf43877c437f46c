package greenlet_test

import (
	"fmt"
	"iter"
)

// Example_generator reproduces tutorial §1.2: a generator that delegates to
// another with a range loop, the Go form of yield from, prints 1 3 4 2.
func Example_generator() {
	// func2 is the inner generator: it yields 3 and 4.
	func2 := func() iter.Seq[int] {
		return func(yield func(int) bool) {
			if !yield(3) {
				return
			}
			yield(4)
		}
	}
	// func1 is the outer generator: it yields 1, then everything func2
	// yields (Python's `yield from func2()`), then 2.
	func1 := func() iter.Seq[int] {
		return func(yield func(int) bool) {
			if !yield(1) {
				return
			}
			for v := range func2() {
				if !yield(v) {
					return
				}
			}
			yield(2)
		}
	}

	for item := range func1() {
		fmt.Println(item)
	}
	// Output:
	// 1
	// 3
	// 4
	// 2
}

// Example_generatorEarlyStop extends tutorial §1.2: a consumer that breaks
// out after the first values stops both generators, innermost first, and
// their deferred cleanup runs before the loop statement ends, as a closed
// Python generator runs its finally blocks.
func Example_generatorEarlyStop() {
	// inner and outer are func2 and func1 of tutorial §1.2 with cleanup
	// that says when it runs.
	inner := func() iter.Seq[int] {
		return func(yield func(int) bool) {
			defer fmt.Println("inner: cleanup")
			if !yield(3) {
				return
			}
			yield(4)
		}
	}
	outer := func() iter.Seq[int] {
		return func(yield func(int) bool) {
			defer fmt.Println("outer: cleanup")
			if !yield(1) {
				return
			}
			for v := range inner() {
				if !yield(v) {
					return
				}
			}
			yield(2)
		}
	}

	for item := range outer() {
		fmt.Println(item)
		if item == 3 {
			break
		}
	}
	fmt.Println("consumer: done")
	// Output:
	// 1
	// 3
	// inner: cleanup
	// outer: cleanup
	// consumer: done
}

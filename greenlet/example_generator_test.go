package greenlet_test

import (
	"fmt"
	"iter"
)

// func1 is tutorial §1.2's outer generator: it yields 1, then everything
// func2 yields (Python's `yield from func2()`), then 2.
func func1() iter.Seq[int] {
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

// func2 is tutorial §1.2's inner generator: it yields 3 and 4.
func func2() iter.Seq[int] {
	return func(yield func(int) bool) {
		if !yield(3) {
			return
		}
		yield(4)
	}
}

// Example_generator reproduces tutorial §1.2: a generator that delegates to
// another with a range loop, the Go form of yield from, prints 1 3 4 2.
func Example_generator() {
	for item := range func1() {
		fmt.Println(item)
	}
	// Output:
	// 1
	// 3
	// 4
	// 2
}

// outer and inner are func1 and func2 of tutorial §1.2 with cleanup that
// says when it runs.
func outer() iter.Seq[int] {
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

func inner() iter.Seq[int] {
	return func(yield func(int) bool) {
		defer fmt.Println("inner: cleanup")
		if !yield(3) {
			return
		}
		yield(4)
	}
}

// Example_generatorEarlyStop extends tutorial §1.2: a consumer that breaks
// out after the first values stops both generators, innermost first, and
// their deferred cleanup runs before the loop statement ends, as a closed
// Python generator runs its finally blocks.
func Example_generatorEarlyStop() {
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

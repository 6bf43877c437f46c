package greenlet_test

import (
	"fmt"

	"github.com/goasyncio/asyncio/greenlet"
)

// Example reproduces tutorial §1.1: func1 and func2 hand control to each
// other with explicit switches, printing 1 3 2 4.
func Example() {
	var gr1, gr2 *greenlet.Greenlet
	func1 := func(...any) any {
		fmt.Println(1) // step 2
		gr2.Switch()   // step 3: on to func2
		fmt.Println(2) // step 6
		gr2.Switch()   // step 7: back into func2
		return nil
	}
	func2 := func(...any) any {
		fmt.Println(3) // step 4
		gr1.Switch()   // step 5: back into func1
		fmt.Println(4) // step 8; func2 returns to its parent, main
		return nil
	}
	gr1 = greenlet.New(func1)
	gr2 = greenlet.New(func2)
	gr1.Switch() // step 1: into func1

	// func1 is still suspended in its second switch. Python would kill it
	// when it is garbage collected; Go needs an explicit Kill.
	gr1.Kill()
	fmt.Println(gr1.Dead(), gr2.Dead())
	// Output:
	// 1
	// 3
	// 2
	// 4
	// true true
}

// ExampleGreenlet_Switch extends tutorial §1.1 to pass values both ways: the
// first switch's arguments start run, later ones become the value of the
// greenlet's pending Switch, and the values the greenlet switches back,
// then run's result, become the main greenlet's.
func ExampleGreenlet_Switch() {
	main := greenlet.Current()
	adder := greenlet.New(func(args ...any) any {
		sum := args[0].(int)
		for {
			v := main.Switch("running total", sum)
			if v == nil {
				return fmt.Sprint("final total ", sum)
			}
			sum += v.(int)
		}
	})
	fmt.Println(adder.Switch(1))
	fmt.Println(adder.Switch(2))
	fmt.Println(adder.Switch(3))
	fmt.Println(adder.Switch(), adder.Dead())
	// Output:
	// [running total 1]
	// [running total 3]
	// [running total 6]
	// final total 6 true
}

// ExampleGreenlet_Switch_panic extends tutorial §1.1 with a failure: a
// panic in a greenlet kills it and is raised again in its parent, as a
// *PanicError from the parent's pending Switch.
func ExampleGreenlet_Switch_panic() {
	worker := greenlet.New(func(...any) any {
		fmt.Println("worker: started")
		panic("disk full")
	})
	defer func() {
		err := recover().(*greenlet.PanicError)
		fmt.Println("main:", err)
		fmt.Println("worker dead:", worker.Dead())
	}()
	worker.Switch()
	fmt.Println("not reached")
	// Output:
	// worker: started
	// main: greenlet: panic: disk full
	// worker dead: true
}

// Package greenlet runs functions as coroutines that hand control to each
// other by explicit switches: the Go form of Python's greenlet module, the
// first way of writing coroutines that the asyncio tutorial shows (§1.1).
//
// A greenlet is made by New from a function and runs when some code calls
// its Switch. It runs until it calls another greenlet's Switch, which
// suspends it in that call, or until its function returns. Only one
// greenlet of a world runs at a time, so greenlets share data without
// locks:
//
//	var gr1, gr2 *greenlet.Greenlet
//	gr1 = greenlet.New(func(...any) any {
//		fmt.Println(1)
//		gr2.Switch() // gr2 prints 3 and switches back here
//		fmt.Println(2)
//		return nil
//	})
//	gr2 = greenlet.New(func(...any) any {
//		fmt.Println(3)
//		gr1.Switch()
//		return nil
//	})
//	gr1.Switch() // prints 1 3 2
//	gr2.Kill()   // gr2 is still suspended in its Switch
//
// # Worlds and goroutines
//
// A goroutine that calls New or Current while it runs no greenlet becomes
// the main greenlet of a new world; the greenlets made while a greenlet of
// that world runs belong to it. A greenlet's parent is the greenlet that was running when it was
// made. Switch, Throw and Kill must be called on the goroutine running the
// world, that is by the running greenlet; a call from any other goroutine
// panics with ErrWrongGoroutine. Each started greenlet runs on a goroutine
// of its own, but only while the others of its world are suspended, so
// its code is sequential with theirs; a goroutine that it starts, even an
// iter.Pull sequence, is another goroutine and may not switch. The check
// costs about 1 ns on amd64 and arm64, and about 1.5 µs on other
// architectures, which lack a fast way to identify a goroutine.
//
// # Values
//
// Switch passes values both ways. The arguments of the first switch to a
// greenlet are its function's arguments; later, they become the value that
// the greenlet's pending Switch returns: nil for none, the value itself for
// one, an []any for several. When a greenlet's function returns, its value
// is what the parent's pending Switch returns.
//
// # Panics
//
// A panic that escapes a greenlet's function kills the greenlet and is
// raised again in its parent: the parent's pending Switch panics with a
// *PanicError holding the value and the stack of the original panic. This
// is what Python does with an exception, and it is the only choice that
// keeps a failure from passing unseen: a parent can ignore a value returned
// by Switch, but not a panic, and a value would be ambiguous, since an
// error is also a legitimate value to switch with. A parent that wants an
// error value recovers the *PanicError.
//
// A greenlet must not call runtime.Goexit, which t.FailNow calls: Goexit
// cannot be stopped, and, as with a sequence of iter.Pull, it goes on to
// end the goroutines of the greenlets whose switches wait for the greenlet,
// down to the main greenlet's own goroutine.
//
// Misuse panics with an error naming it: a switch to a dead greenlet with
// ErrDead (Python silently switches to the dead greenlet's parent instead;
// an explicit error finds the bug where it is, and Dead lets the caller
// check), a switch from the wrong goroutine with ErrWrongGoroutine.
//
// # Throw, Kill and leaks
//
// Throw raises an error inside a suspended greenlet: its pending Switch
// panics with the error, so the greenlet's deferred calls run as the panic
// unwinds it. Kill throws ErrKilled, the counterpart of Python's
// GreenletExit, and returns once the greenlet has died; a greenlet that
// lets ErrKilled escape ends normally.
//
// A started greenlet that never ends keeps its goroutine, suspended, for
// the life of the program. Python kills such a greenlet when it is garbage
// collected; Go cannot, because the suspended goroutine keeps the greenlet
// reachable. So the owner ends it with Kill, as it would close a file. An
// unstarted greenlet holds no goroutine and needs no Kill.
//
// # Generators
//
// The other explicit switch of the tutorial, the generator (§1.2), needs no
// package: a function returning an iter.Seq is the Go form of a generator
// function, calling yield is Python's yield, and ranging over another
// sequence while yielding its values is yield from. A consumer that breaks
// out of its range loop makes yield return false, and the generator's
// deferred calls run, as a closed Python generator's finally blocks do. See
// the examples.
//
// # Implementation
//
// Switching uses iter.Pull, the runtime's coroutine switch, not channels:
// it hands the processor directly from one goroutine to the other without
// going through the scheduler's run queues, about 30 ns per switch on the
// machine this was written on, where an unbuffered channel round trip,
// which parks one goroutine and readies the other through the scheduler,
// costs about 250 ns. A Switch between two greenlets makes one such
// coroutine switch, about 40 ns in all, and at most two amortized;
// see bench_test.go.
package greenlet

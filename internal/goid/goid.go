// Package goid tells which goroutine is running, for checks that code runs
// on the goroutine it must: a greenlet's Switch, a task's Await.
//
// Go offers no goroutine-local storage and no goroutine ID: the only
// portable source is the header line of runtime.Stack ("goroutine 18
// [running]:"), which costs about 1.5 µs, fifty times a coroutine switch.
// So on amd64 and arm64 Current reads the runtime's pointer to the current
// goroutine's descriptor from the register (arm64) or thread-local slot
// (amd64) where the runtime keeps it, in goid_amd64.s and goid_arm64.s:
// about 1 ns. Elsewhere, or when built with the purego tag, it falls back
// to the stack's header, and Fast is false.
//
// Either value names one goroutine among those alive at the time: a
// goroutine's descriptor is reused only after it exits, and its stack ID
// never. That is all such checks need, since the goroutine they expect is
// alive while it waits for its turn.
package goid

import "runtime"

// fromStack returns the calling goroutine's ID as runtime.Stack prints it.
func fromStack() uintptr {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	const prefix = "goroutine "
	if len(b) < len(prefix) || string(b[:len(prefix)]) != prefix {
		panic("goid: unexpected runtime.Stack header " + string(b))
	}
	var id uintptr
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			break
		}
		id = id*10 + uintptr(c-'0')
	}
	return id
}

//go:build (amd64 || arm64) && !purego

package goid

// Fast reports that Current costs about a nanosecond here.
const Fast = true

// Current returns a value that identifies the calling goroutine among the
// goroutines alive: the address of its runtime descriptor. It is
// implemented in assembly; see the package doc for why.
func Current() uintptr

//go:build !(amd64 || arm64) || purego

package goid

// Fast reports that Current costs about a nanosecond here; it does not:
// it reads runtime.Stack, which costs microseconds.
const Fast = false

// Current returns a value that identifies the calling goroutine among the
// goroutines alive: its ID. See the package doc for why this slow form is
// only the fallback.
func Current() uintptr { return fromStack() }

//go:build !(amd64 || arm64) || purego

package greenlet

// goroutineID returns a value that identifies the calling goroutine among
// the goroutines alive: its ID. See goroutine.go for why this slow form is
// only the fallback.
func goroutineID() uintptr { return stackGoroutineID() }

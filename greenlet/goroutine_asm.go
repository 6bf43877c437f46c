//go:build (amd64 || arm64) && !purego

package greenlet

// goroutineID returns a value that identifies the calling goroutine among
// the goroutines alive: the address of its runtime descriptor. It is
// implemented in assembly; see goroutine.go for why.
func goroutineID() uintptr

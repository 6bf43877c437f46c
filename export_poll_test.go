//go:build linux

package asyncio

// UseGoroutineStreams makes streams over sockets use the goroutine
// transport, as on systems without the loop's poller, until restore is
// called.
func UseGoroutineStreams() (restore func()) {
	pollStreams = false
	return func() { pollStreams = true }
}

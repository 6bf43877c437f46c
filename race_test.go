//go:build race

package asyncio_test

// raceEnabled is true under the race detector, which makes each goroutine
// and synchronization far more expensive: stress tests scale down.
const raceEnabled = true

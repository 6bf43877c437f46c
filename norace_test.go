//go:build !race

package asyncio_test

const raceEnabled = false

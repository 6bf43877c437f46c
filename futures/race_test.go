//go:build race

package futures_test

// raceEnabled is true under the race detector, which makes the tests that
// move hundreds of megabytes take minutes: they are skipped.
const raceEnabled = true

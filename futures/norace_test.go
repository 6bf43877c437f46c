//go:build !race

package futures_test

const raceEnabled = false

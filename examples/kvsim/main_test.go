package kvsim_test

import (
	"testing"

	"go.uber.org/goleak"
)

// A simulation runs in its loop's goroutine alone: nothing may outlive it.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

package goid

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestCurrent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for name, id := range map[string]func() uintptr{
		"Current":   Current,
		"fromStack": fromStack,
	} {
		t.Run(name, func(t *testing.T) {
			mine := id()
			if mine == 0 || id() != mine {
				t.Fatalf("unstable or zero: %v then %v", mine, id())
			}
			other := make(chan uintptr)
			go func() { other <- id() }()
			if o := <-other; o == mine {
				t.Errorf("two live goroutines share the ID %v", o)
			}
		})
	}
}

package asyncio_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/goasyncio/asyncio"
)

// TestAddSignalHandlerErrors checks the calls AddSignalHandler refuses, and
// that a refused call installs nothing and starts no goroutine.
func TestAddSignalHandlerErrors(t *testing.T) {
	defer noLeaks(t)()
	for _, tc := range []struct {
		name string
		sig  os.Signal
		fn   func()
		want string
	}{
		{"nil function", os.Interrupt, nil, "nil function"},
		{"SIGKILL", os.Kill, func() {}, "cannot be caught"},
		{"nil signal", nil, func() {}, "not a signal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := asyncio.NewLoop()
			defer l.Close()
			err := l.AddSignalHandler(tc.sig, tc.fn)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("AddSignalHandler(%v) = %v, want an error saying %q", tc.sig, err, tc.want)
			}
			if l.RemoveSignalHandler(tc.sig) {
				t.Errorf("RemoveSignalHandler(%v) after a refused AddSignalHandler reported a handler", tc.sig)
			}
		})
	}
}

func TestAddSignalHandlerClosedLoop(t *testing.T) {
	defer noLeaks(t)()
	l := asyncio.NewLoop()
	l.Close()
	if err := l.AddSignalHandler(os.Interrupt, func() {}); !errors.Is(err, asyncio.ErrLoopClosed) {
		t.Fatalf("AddSignalHandler on a closed loop = %v, want ErrLoopClosed", err)
	}
	if l.RemoveSignalHandler(os.Interrupt) {
		t.Error("RemoveSignalHandler on a closed loop reported a handler")
	}
}

func TestRemoveSignalHandlerNone(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		if l.RemoveSignalHandler(os.Interrupt) {
			t.Error("RemoveSignalHandler reported a handler no one installed (Run's own SIGINT handling is none)")
		}
		return 0, nil
	})
}

// TestSignalInstallRemoveNoLeak checks that the relaying goroutine ends
// with the last handler, not at Close, also when handlers come and go in
// turn.
func TestSignalInstallRemoveNoLeak(t *testing.T) {
	noneLeft := noLeaks(t)
	l := asyncio.NewLoop()
	defer l.Close()
	for range 3 {
		if err := l.AddSignalHandler(os.Interrupt, func() {}); err != nil {
			t.Fatal(err)
		}
		if !l.RemoveSignalHandler(os.Interrupt) {
			t.Fatal("RemoveSignalHandler did not find the handler just installed")
		}
	}
	noneLeft()
}

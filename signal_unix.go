//go:build unix

package asyncio

import (
	"fmt"
	"os"
	"syscall"
)

// numSignals bounds the signal numbers that os/signal relays on every Unix.
const numSignals = 65

// checkSignal says why AddSignalHandler cannot handle sig, if it cannot.
func checkSignal(sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	switch {
	case !ok || s <= 0 || s >= numSignals:
		return fmt.Errorf("asyncio: AddSignalHandler(%v): not a signal of this system; pass a syscall.Signal such as syscall.SIGTERM", sig)
	case s == syscall.SIGKILL || s == syscall.SIGSTOP:
		return fmt.Errorf("asyncio: AddSignalHandler(%v): the signal cannot be caught, it never reaches the program; handle SIGTERM (or SIGTSTP) instead", sig)
	}
	return nil
}

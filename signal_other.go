//go:build !unix

package asyncio

import (
	"fmt"
	"os"
)

// checkSignal says why AddSignalHandler cannot handle sig, if it cannot.
func checkSignal(sig os.Signal) error {
	switch sig {
	case nil:
		return fmt.Errorf("asyncio: AddSignalHandler(nil): not a signal; pass one such as os.Interrupt")
	case os.Kill:
		return fmt.Errorf("asyncio: AddSignalHandler(%v): the signal cannot be caught, it never reaches the program; handle os.Interrupt instead", sig)
	}
	return nil
}

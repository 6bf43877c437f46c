//go:build !unix

package futures

import "errors"

// The process pool needs Unix: exec.Cmd.ExtraFiles passes its pipes.

func writeNow(fd uintptr, b []byte) (int, error) {
	return 0, errors.New("futures: process pools need a Unix-like system")
}

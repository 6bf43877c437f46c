//go:build !unix

package futures

import (
	"errors"
	"os"
)

// The process pool needs Unix: exec.Cmd.ExtraFiles passes its pipes.

func workerPipes() (requests, replies, lifeline *os.File) {
	return os.NewFile(workerRequestFD, "futures-requests"),
		os.NewFile(workerReplyFD, "futures-replies"),
		os.NewFile(workerLifelineFD, "futures-lifeline")
}

func writeNow(fd uintptr, b []byte) (int, error) {
	return 0, errors.New("futures: process pools need a Unix-like system")
}

func readNow(f *os.File, b []byte) (int, error) {
	return 0, errors.New("futures: process pools need a Unix-like system")
}

//go:build unix

package futures

import (
	"io"
	"os"
	"syscall"
)

// workerPipes returns the worker's ends of the pipes to its pool, made
// close-on-exec first: they reach the worker through exec, which clears
// the flag, and a program that the worker's functions start must not get
// them. Such a program, were it to hold the reply pipe, would keep the
// pipe open after the worker died.
func workerPipes() (requests, replies, lifeline *os.File) {
	for _, fd := range []int{workerRequestFD, workerReplyFD, workerLifelineFD} {
		syscall.CloseOnExec(fd)
	}
	return os.NewFile(workerRequestFD, "futures-requests"),
		os.NewFile(workerReplyFD, "futures-replies"),
		os.NewFile(workerLifelineFD, "futures-lifeline")
}

// writeNow makes one attempt to write b to fd, which must be in
// non-blocking mode, and returns how much it wrote: less than len(b),
// possibly nothing, if the pipe has no room for more.
func writeNow(fd uintptr, b []byte) (int, error) {
	for {
		n, err := syscall.Write(int(fd), b)
		switch err {
		case nil:
			return n, nil
		case syscall.EAGAIN:
			return 0, nil
		case syscall.EINTR:
			continue
		}
		return 0, err
	}
}

// readNow reads what f holds, without waiting for more: f must be in
// non-blocking mode, as the pool's ends of its pipes are. It returns
// errWorkerGone if f holds nothing and its writers have not all closed it.
// It ignores f's deadlines, which is why it reads through Control.
func readNow(f *os.File, b []byte) (n int, err error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	cerr := rc.Control(func(fd uintptr) {
		for {
			n, err = syscall.Read(int(fd), b)
			if err != syscall.EINTR {
				return
			}
		}
	})
	switch {
	case cerr != nil:
		return 0, cerr
	case err == syscall.EAGAIN:
		return 0, errWorkerGone
	case err != nil:
		return 0, err
	case n == 0 && len(b) > 0:
		return 0, io.EOF
	}
	return n, nil
}

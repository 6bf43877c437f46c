//go:build unix

package futures

import "syscall"

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

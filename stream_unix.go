//go:build unix

package asyncio

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// rawConnOf returns the descriptor of conn for writes made straight from
// the loop, or nil if it has none (a TLS connection, a net.Pipe).
func rawConnOf(conn net.Conn) syscall.RawConn {
	sc, ok := conn.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// tryWrite writes what of p the socket takes now, without waiting: one
// non-blocking write(2), as a loop that polls its sockets itself does. It
// returns how much was written; a full socket buffer is not an error.
func tryWrite(rc syscall.RawConn, p []byte) (int, error) {
	var n int
	var werr error
	err := rc.Write(func(fd uintptr) bool {
		for {
			n, werr = syscall.Write(int(fd), p)
			if !errors.Is(werr, syscall.EINTR) {
				return true // done, whatever happened: never wait here
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case errors.Is(werr, syscall.EAGAIN):
		return 0, nil
	case werr != nil:
		return 0, werr
	}
	return n, nil
}

// readRaw waits until the connection has data, holding no buffer while it
// waits, then reads what has come into a buffer from readBufs. At the end
// of the stream it returns io.EOF; buf is nil if nothing was read.
func readRaw(rc syscall.RawConn) (buf *[]byte, n int, err error) {
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		b := readBufs.Get().(*[]byte)
		for {
			n, rerr = syscall.Read(int(fd), *b)
			if rerr != syscall.EINTR {
				break
			}
		}
		if rerr == syscall.EAGAIN {
			readBufs.Put(b)
			return false // wait until readable, then call again
		}
		buf = b
		return true
	})
	switch {
	case err != nil:
	case rerr != nil:
		err = os.NewSyscallError("read", rerr)
	case n == 0:
		err = io.EOF
	}
	if n < 0 {
		n = 0
	}
	return buf, n, err
}

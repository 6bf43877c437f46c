//go:build !unix

package asyncio

import (
	"net"
	"syscall"
)

// rawConnOf returns nil: on this system every write goes through the
// stream's writer goroutine (transport_go.go).
func rawConnOf(net.Conn) syscall.RawConn { return nil }

func tryWrite(syscall.RawConn, []byte) (int, error) { return 0, nil }

func readRaw(syscall.RawConn) (*[]byte, int, error) { return nil, 0, nil }

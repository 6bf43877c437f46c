//go:build !plan9

package asyncio

import (
	"errors"
	"syscall"
)

// refused reports whether err is the report of a datagram refused by its
// destination, which a connected socket gives on a later read: the socket
// goes on working.
func refused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

//go:build !plan9

package sim

import "syscall"

// The errors a real socket gives, which a simulated one gives too, so that
// code checking errors.Is(err, syscall.ECONNRESET) sees no difference.
var (
	errConnRefused  error = syscall.ECONNREFUSED
	errConnReset    error = syscall.ECONNRESET
	errTimedOut     error = syscall.ETIMEDOUT
	errAddrInUse    error = syscall.EADDRINUSE
	errAddrNotAvail error = syscall.EADDRNOTAVAIL
	errNetUnreach   error = syscall.ENETUNREACH
)

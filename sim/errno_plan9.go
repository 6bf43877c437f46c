package sim

import "errors"

// Plan 9 has no errno values: a simulated socket's errors carry the texts
// of its network's.
var (
	errConnRefused  = errors.New("connection refused")
	errConnReset    = errors.New("connection reset by peer")
	errTimedOut     = errors.New("connection timed out")
	errAddrInUse    = errors.New("address in use")
	errAddrNotAvail = errors.New("address not available")
	errNetUnreach   = errors.New("network unreachable")
)

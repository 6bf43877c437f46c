package asyncio

import "strings"

// refused reports whether err is the report of a datagram refused by its
// destination. Plan 9 has no errno values; its network reports the
// refusal in the error's text.
func refused(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection refused")
}

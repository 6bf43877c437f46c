// Package panicerr holds what the PanicError types of packages asyncio,
// futures and greenlet share: each package keeps a type of its own, named
// in its errors, and they print and unwrap alike.
package panicerr

import "fmt"

// Message is the text of a PanicError of package pkg for the panic value v.
func Message(pkg string, v any) string { return fmt.Sprintf("%s: panic: %v", pkg, v) }

// Unwrap returns v if it is an error, so that errors.Is and errors.As see
// through a panic, and nil otherwise.
func Unwrap(v any) error {
	err, _ := v.(error)
	return err
}

// Format prints msg, and with the %+v verb adds the stack of the panic.
func Format(s fmt.State, verb rune, msg string, stack []byte) {
	if verb == 'v' && s.Flag('+') {
		msg += "\n\n" + string(stack)
	}
	fmt.Fprint(s, msg)
}

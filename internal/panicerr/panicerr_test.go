package panicerr_test

import (
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/goasyncio/asyncio/internal/panicerr"
)

type panicErr struct {
	v     any
	stack []byte
}

func (e *panicErr) Error() string { return panicerr.Message("pkg", e.v) }
func (e *panicErr) Unwrap() error { return panicerr.Unwrap(e.v) }
func (e *panicErr) Format(s fmt.State, verb rune) {
	panicerr.Format(s, verb, e.Error(), e.stack)
}

func TestPanicError(t *testing.T) {
	e := &panicErr{v: io.EOF, stack: []byte("goroutine 1 [running]:")}
	cases := []struct{ format, want string }{
		{"%v", "pkg: panic: EOF"},
		{"%s", "pkg: panic: EOF"},
		{"%+v", "pkg: panic: EOF\n\ngoroutine 1 [running]:"},
	}
	for _, c := range cases {
		if got := fmt.Sprintf(c.format, e); got != c.want {
			t.Errorf("Sprintf(%q) = %q, want %q", c.format, got, c.want)
		}
	}
	if !errors.Is(e, io.EOF) {
		t.Error("a panic with an error value does not unwrap to it")
	}
	if (&panicErr{v: 42}).Unwrap() != nil {
		t.Error("a panic with a non-error value unwraps to something")
	}
}

package errkind_test

import (
	"context"
	"errors"
	"testing"

	"github.com/goasyncio/asyncio/internal/errkind"
)

func TestSentinelsOfAKindMatch(t *testing.T) {
	a := errkind.New("a: cancelled", context.Canceled)
	b := errkind.New("b: cancelled", context.Canceled)
	c := errkind.New("c: timeout", context.DeadlineExceeded)
	for _, tc := range []struct {
		err, target error
		want        bool
	}{
		{a, b, true}, {b, a, true}, {a, context.Canceled, true},
		{a, c, false}, {c, a, false}, {a, context.DeadlineExceeded, false},
		{c, context.DeadlineExceeded, true}, {a, errors.New("a: cancelled"), false},
	} {
		if got := errors.Is(tc.err, tc.target); got != tc.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tc.err, tc.target, got, tc.want)
		}
	}
}

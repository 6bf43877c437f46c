package funcname

import (
	"reflect"
	"testing"
)

func TestOf(t *testing.T) {
	cases := []struct {
		pc   uintptr
		want string
	}{
		{reflect.ValueOf(TestOf).Pointer(), "funcname.TestOf"},
		{reflect.ValueOf(helper).Pointer(), "funcname.helper"},
		{0, "?"},
	}
	for _, tc := range cases {
		if got := Of(tc.pc); got != tc.want {
			t.Errorf("Of(%#x) = %q, want %q", tc.pc, got, tc.want)
		}
	}
}

func helper() {}

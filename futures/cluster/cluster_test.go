package cluster_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/goasyncio/asyncio/futures"
	"github.com/goasyncio/asyncio/futures/cluster"
)

func TestCallOutcomes(t *testing.T) {
	s := startServer(t)
	serveHere(t, s, 1, 2, "")
	e := dial(t, s, nil)
	if v, err := result(t, cluster.Call(e, echo, 42)); v != 42 || err != nil {
		t.Errorf("echo(42) = %v, %v; want 42, nil", v, err)
	}
	if _, err := result(t, cluster.Call(e, fail, 7)); err == nil || err.Error() != "no good: 7" {
		t.Errorf("fail(7): error %v, want the function's text", err)
	}
	_, err := result(t, cluster.Call(e, boom, "kaboom"))
	var pe *futures.PanicError
	if !errors.As(err, &pe) || pe.Value != "kaboom" || !strings.Contains(string(pe.Stack), "helpers_test.go") {
		t.Errorf("boom: error %#v, want a *PanicError of \"kaboom\" with the worker's stack", err)
	}
}

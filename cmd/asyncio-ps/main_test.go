package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/debughttp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPrintsTasksOfARunningProgram(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := httptest.NewServer(debughttp.Handler())
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	var out, errOut strings.Builder
	code := -1
	asyncio.Run(func(ctx context.Context) (int, error) {
		asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			var e asyncio.Event
			return 0, e.Wait(ctx)
		}, asyncio.WithName("waiter"))
		asyncio.Sleep(ctx, 0)
		// The command runs on a worker goroutine while the loop serves it.
		code, _ = asyncio.ToThread(ctx, func() (int, error) { return run([]string{addr}, &out, &errOut), nil })
		return 0, nil
	})
	if code != 0 || !strings.Contains(out.String(), "└── waiter ") || !strings.Contains(out.String(), "awaiting Event.Wait") {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s", code, out.String(), errOut.String())
	}
}

func TestExitCodes(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no target", nil, 2, "usage: asyncio-ps"},
		{"unknown flag", []string{"-x", "1"}, 2, "flag provided but not defined"},
		{"no server for pid", []string{"999999999"}, 1, "serves no task dump"},
		{"unreachable", []string{"127.0.0.1:1"}, 1, "asyncio-ps:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut strings.Builder
			if code := run(c.args, &out, &errOut); code != c.code || !strings.Contains(errOut.String(), c.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut.String(), c.code, c.want)
			}
		})
	}
}

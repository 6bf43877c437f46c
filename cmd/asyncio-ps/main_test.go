package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
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
	for _, c := range []struct {
		flags []string
		want  []string
	}{
		{nil, []string{"└── waiter ", "awaiting Event.Wait"}},
		{[]string{"-limit", "1"}, []string{"Task-1 ", "(1 more task not shown)"}},
		{[]string{"-limit", "all"}, []string{"└── waiter "}},
		{[]string{"-json", "-limit", "1"}, []string{`"total":2`, `"truncated":true`}},
	} {
		var out, errOut strings.Builder
		code := -1
		asyncio.Run(func(ctx context.Context) (int, error) {
			asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				var e asyncio.Event
				return 0, e.Wait(ctx)
			}, asyncio.WithName("waiter"))
			asyncio.Sleep(ctx, 0)
			// The command runs on a worker goroutine while the loop serves it.
			code, _ = asyncio.ToThread(ctx, func() (int, error) { return run(append(c.flags, addr), &out, &errOut), nil })
			return 0, nil
		})
		ok := code == 0
		for _, w := range c.want {
			ok = ok && strings.Contains(out.String(), w)
		}
		if !ok {
			t.Errorf("%q: exit %d, stdout:\n%s\nstderr: %s\nwant %q", c.flags, code, out.String(), errOut.String(), c.want)
		}
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
		{"bad limit", []string{"-limit", "some", "1"}, 2, `-limit "some"`},
		{"negative limit", []string{"-limit", "-1", "1"}, 2, `-limit "-1"`},
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

// asyncio-ps reads the address of a process's server from a file; one that
// another user could have planted or changed is refused, since its address
// would say where to send the request. Each planted file names a server
// that answers, so only the checks stand between it and a dump.
func TestRefusesAnUntrustedAddrFile(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv := httptest.NewServer(debughttp.Handler())
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://") + "\n"
	const pid = 999_999_999
	cases := []struct {
		name  string
		plant func(t *testing.T, path string)
		want  string
	}{
		{"symlink", func(t *testing.T, path string) {
			other := filepath.Join(t.TempDir(), "addr")
			write(t, other, addr, 0o600)
			if err := os.Symlink(other, path); err != nil {
				t.Fatal(err)
			}
		}, "symbolic link"},
		{"group-writable", func(t *testing.T, path string) { write(t, path, addr, 0o660) }, "writable by others"},
		{"world-writable", func(t *testing.T, path string) { write(t, path, addr, 0o666) }, "writable by others"},
	}
	if os.Getuid() == 0 {
		cases = append(cases, struct {
			name  string
			plant func(t *testing.T, path string)
			want  string
		}{"another user's", func(t *testing.T, path string) {
			write(t, path, addr, 0o600)
			if err := os.Chown(path, 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, "owned by uid 4242"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("TMPDIR", t.TempDir())
			t.Setenv("XDG_RUNTIME_DIR", "")
			path := debughttp.AddrFile(pid)
			if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
				t.Fatal(err)
			}
			c.plant(t, path)
			var out, errOut strings.Builder
			code := run([]string{strconv.Itoa(pid)}, &out, &errOut)
			if code != 1 || !strings.Contains(errOut.String(), c.want) {
				t.Errorf("exit %d, stderr %q, stdout %q; want 1 and %q", code, errOut.String(), out.String(), c.want)
			}
		})
	}
}

// The address a process records is found from its ID.
func TestFindsAServerByProcessID(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	t.Setenv("TMPDIR", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", "")
	srv, err := debughttp.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	var out, errOut strings.Builder
	if code := run([]string{strconv.Itoa(os.Getpid())}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "no asyncio loops") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}

func write(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

package debughttp_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/debughttp"
)

// tempEnv points TMPDIR at a fresh directory and unsets XDG_RUNTIME_DIR, or
// points it at a directory of its own when xdg is set, and returns the root
// that holds both.
func tempEnv(t *testing.T, xdg bool) string {
	t.Helper()
	root := t.TempDir()
	tmp := filepath.Join(root, "tmp")
	if err := os.Mkdir(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	t.Setenv("XDG_RUNTIME_DIR", "")
	if xdg {
		run := filepath.Join(root, "run")
		if err := os.Mkdir(run, 0o700); err != nil {
			t.Fatal(err)
		}
		t.Setenv("XDG_RUNTIME_DIR", run)
	}
	return root
}

// ownAddrFile returns AddrFile of this process.
func ownAddrFile() string { return debughttp.AddrFile(os.Getpid()) }

func TestAddrFileIsInAPrivateDirectory(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	uid := strconv.Itoa(os.Getuid())
	for _, c := range []struct {
		name string
		xdg  bool
		dir  string // relative to the root of tempEnv
	}{
		{"XDG_RUNTIME_DIR set", true, "run/goasyncio"},
		{"XDG_RUNTIME_DIR unset", false, "tmp/goasyncio-" + uid},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := tempEnv(t, c.xdg)
			path := ownAddrFile()
			if want := filepath.Join(root, c.dir); filepath.Dir(path) != want {
				t.Fatalf("AddrFile = %s, want a file in %s", path, want)
			}
			srv, err := debughttp.Listen("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			if got, err := srv.AddrFile(); got != path || err != nil {
				t.Errorf("Server.AddrFile() = %q, %v; want %s", got, err, path)
			}
			if b, err := os.ReadFile(path); err != nil || string(b) != srv.Addr()+"\n" {
				t.Errorf("address file holds %q (%v), want %s", b, err, srv.Addr())
			}
			checkMode(t, filepath.Dir(path), os.ModeDir|0o700)
			checkMode(t, path, 0o600)
			srv.Close()
			if _, err := os.Lstat(path); !os.IsNotExist(err) {
				t.Errorf("after Close, Lstat(address file) = %v; want it removed", err)
			}
		})
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != want {
		t.Errorf("%s has mode %v, want %v", path, fi.Mode(), want)
	}
}

// A file planted where Listen writes its address must neither be written
// through nor trusted; the server itself still runs.
func TestListenRefusesAnUnsafeAddrFile(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cases := []struct {
		name  string
		plant func(t *testing.T, path, victim string)
		want  string // in the error of Server.AddrFile
	}{
		{"symlink at the file", func(t *testing.T, path, victim string) {
			mkdir(t, filepath.Dir(path), 0o700)
			symlink(t, filepath.Join(victim, "precious"), path)
		}, "symbolic link"},
		{"symlink for the directory", func(t *testing.T, path, victim string) {
			mkdir(t, filepath.Dir(filepath.Dir(path)), 0o755)
			symlink(t, victim, filepath.Dir(path))
		}, "symbolic link"},
		{"directory others may read", func(t *testing.T, path, victim string) {
			mkdir(t, filepath.Dir(path), 0o755)
		}, "has mode drwxr-xr-x, want drwx------"},
		{"directory others may enter", func(t *testing.T, path, victim string) {
			mkdir(t, filepath.Dir(path), 0o711)
		}, "has mode drwx--x--x, want drwx------"},
		{"parent others may write to", func(t *testing.T, path, victim string) {
			mkdir(t, filepath.Dir(filepath.Dir(path)), 0o777)
		}, "others may replace what is in"},
		{"parent the group may write to", func(t *testing.T, path, victim string) {
			mkdir(t, filepath.Dir(filepath.Dir(path)), 0o770)
		}, "others may replace what is in"},
		{"a directory at the file", func(t *testing.T, path, victim string) {
			mkdir(t, filepath.Dir(path), 0o700)
			mkdir(t, path, 0o700)
		}, "not a regular file"},
	}
	if os.Getuid() == 0 {
		cases = append(cases, struct {
			name  string
			plant func(t *testing.T, path, victim string)
			want  string
		}{"directory of another user", func(t *testing.T, path, victim string) {
			mkdir(t, filepath.Dir(path), 0o700)
			if err := os.Chown(filepath.Dir(path), 4242, 4242); err != nil {
				t.Fatal(err)
			}
		}, "is owned by uid 4242, not 0"})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := tempEnv(t, false)
			victim := filepath.Join(root, "victim")
			mkdir(t, victim, 0o700)
			if err := os.WriteFile(filepath.Join(victim, "precious"), []byte("precious\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			path := ownAddrFile()
			c.plant(t, path, victim)

			srv, err := debughttp.Listen("127.0.0.1:0")
			if err != nil {
				t.Fatalf("Listen = %v; the server should run without its address file", err)
			}
			got, ferr := srv.AddrFile()
			srv.Close()
			if got != "" || ferr == nil || !strings.Contains(ferr.Error(), c.want) || !strings.HasPrefix(ferr.Error(), "debughttp: ") {
				t.Errorf("Server.AddrFile() = %q, %v; want an error saying %q", got, ferr, c.want)
			}
			entries, _ := os.ReadDir(victim)
			b, _ := os.ReadFile(filepath.Join(victim, "precious"))
			if len(entries) != 1 || string(b) != "precious\n" {
				t.Errorf("Listen wrote through the planted file: %s holds %d files, precious holds %q", victim, len(entries), b)
			}
		})
	}
}

// A file left by an earlier process with the same ID is replaced.
func TestListenReplacesAStaleAddrFile(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tempEnv(t, false)
	path := ownAddrFile()
	mkdir(t, filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, []byte("127.0.0.1:1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := debughttp.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if b, err := os.ReadFile(path); err != nil || string(b) != srv.Addr()+"\n" {
		t.Errorf("address file holds %q (%v), want %s", b, err, srv.Addr())
	}
}

// The second server of a process takes over the address file, and the first
// one's Close leaves it alone.
func TestAddrFileNamesTheLatestServer(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tempEnv(t, false)
	first, err := debughttp.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	second, err := debughttp.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	first.Close()
	if addr, err := debughttp.ReadAddrFile(os.Getpid()); addr != second.Addr() || err != nil {
		t.Errorf("ReadAddrFile = %q, %v; want %s", addr, err, second.Addr())
	}
}

func TestReadAddrFile(t *testing.T) {
	const pid = 999_999_999 // no process has it: the file is all there is
	const addr = "127.0.0.1:6060"
	cases := []struct {
		name    string
		dirMode os.FileMode
		plant   func(t *testing.T, path string)
		want    string // the error, or "" for success
	}{
		{"ours", 0o700, func(t *testing.T, path string) { writeFile(t, path, addr+"\n", 0o600) }, ""},
		{"read-only", 0o700, func(t *testing.T, path string) { writeFile(t, path, addr+"\n", 0o400) }, ""},
		{"missing", 0o700, func(t *testing.T, path string) {}, "no such file"},
		{"symlink", 0o700, func(t *testing.T, path string) {
			writeFile(t, path+".real", addr+"\n", 0o600)
			symlink(t, path+".real", path)
		}, "symbolic link"},
		{"group-writable", 0o700, func(t *testing.T, path string) { writeFile(t, path, addr+"\n", 0o620) }, "writable by others"},
		{"world-writable", 0o700, func(t *testing.T, path string) { writeFile(t, path, addr+"\n", 0o602) }, "writable by others"},
		{"hard link", 0o700, func(t *testing.T, path string) {
			writeFile(t, path+".other", addr+"\n", 0o600)
			if err := os.Link(path+".other", path); err != nil {
				t.Fatal(err)
			}
		}, "has 2 links"},
		{"directory", 0o700, func(t *testing.T, path string) { mkdir(t, path, 0o700) }, "not a regular file"},
		{"too big", 0o700, func(t *testing.T, path string) { writeFile(t, path, strings.Repeat("1", 1000), 0o600) }, "too big"},
		{"not an address", 0o700, func(t *testing.T, path string) { writeFile(t, path, "hello\n", 0o600) }, "not a host:port address"},
		{"open directory", 0o777, func(t *testing.T, path string) { writeFile(t, path, addr+"\n", 0o600) }, "has mode drwxrwxrwx, want drwx------"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tempEnv(t, false)
			path := debughttp.AddrFile(pid)
			mkdir(t, filepath.Dir(path), c.dirMode)
			c.plant(t, path)
			got, err := debughttp.ReadAddrFile(pid)
			switch {
			case c.want == "" && (got != addr || err != nil):
				t.Errorf("ReadAddrFile = %q, %v; want %s", got, err, addr)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "debughttp: ")):
				t.Errorf("ReadAddrFile = %q, %v; want an error saying %q", got, err, c.want)
			}
		})
	}
}

func mkdir(t *testing.T, dir string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

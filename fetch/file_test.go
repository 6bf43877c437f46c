package fetch_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/fetch"
)

// runReal calls d.Fetch on a loop with the real clock, for tests where a
// worker could block: on a virtual clock that would look the same as on
// a real one, a hang, but this way nothing is assumed of the clock.
func runReal(t *testing.T, d *fetch.Downloader, reqs ...fetch.Request) []fetch.Result {
	t.Helper()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	res, err := asyncio.Run(func(ctx context.Context) ([]fetch.Result, error) {
		return d.Fetch(ctx, reqs)
	})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	return res
}

func TestFetchRefusesFilesThatAreNotRegular(t *testing.T) {
	small := []byte("the download")
	large := content(fetch.ResumeMin+10, 31) // large enough for a sidecar
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/large.bin" {
			serve(w, r, large, `"l"`)
			return
		}
		serve(w, r, small, `"s"`)
	})
	symlink := func(p, victim string) error { return os.Symlink(victim, p) }
	mkfifo := func(p, _ string) error { return syscall.Mkfifo(p, 0o644) }
	mksock := func(p, _ string) error { return syscall.Mknod(p, syscall.S_IFSOCK|0o644, 0) }
	mknull := func(p, _ string) error { return syscall.Mknod(p, syscall.S_IFCHR|0o644, int(unix.Mkdev(1, 3))) } // as /dev/null
	tests := []struct {
		name    string
		url     string
		planted string                          // the name planted in Dir
		plant   func(path, victim string) error // plants it
		want    string                          // in the error's text
	}{
		{"symbolic link as part", "/a.txt", "a.txt.part", symlink, "a.txt.part is a symbolic link"},
		{"symbolic link as sidecar", "/large.bin", "large.bin.part.meta", symlink, "large.bin.part.meta is a symbolic link"},
		{"named pipe as part", "/a.txt", "a.txt.part", mkfifo, "a.txt.part is a named pipe"},
		{"named pipe as sidecar", "/large.bin", "large.bin.part.meta", mkfifo, "large.bin.part.meta is a named pipe"},
		{"socket as part", "/a.txt", "a.txt.part", mksock, "a.txt.part is a socket"},
		{"device as part", "/a.txt", "a.txt.part", mknull, "a.txt.part is a device"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			victim := filepath.Join(t.TempDir(), "precious.txt")
			if err := os.WriteFile(victim, []byte("precious"), 0o644); err != nil {
				t.Fatal(err)
			}
			d := newDownloader(t)
			d.Retries = 2
			if err := tt.plant(in(d, tt.planted), victim); errors.Is(err, syscall.EPERM) {
				t.Skipf("cannot plant it (making a device needs CAP_MKNOD): %v", err)
			} else if err != nil {
				t.Fatal(err)
			}
			res := runReal(t, d, fetch.Request{URL: srv.URL + tt.url})
			if !errors.Is(res[0].Err, fetch.ErrNotRegularFile) || !strings.Contains(res[0].Err.Error(), tt.want) {
				t.Errorf("error %v, want ErrNotRegularFile saying %q", res[0].Err, tt.want)
			}
			if res[0].Attempts != 1 {
				t.Errorf("%d attempts, want 1: a planted file does not go away by itself", res[0].Attempts)
			}
			checkFile(t, victim, []byte("precious"))
			if name := strings.TrimPrefix(tt.url, "/"); exists(in(d, name)) {
				t.Errorf("%s was saved", name)
			}
		})
	}
}

// TestLinkNoReplace checks the rename that does not replace of systems
// without renameat2's RENAME_NOREPLACE.
func TestLinkNoReplace(t *testing.T) {
	dir := t.TempDir()
	from, to := filepath.Join(dir, "f.part"), filepath.Join(dir, "f")
	os.WriteFile(from, []byte("new"), 0o644)
	if err := fetch.LinkNoReplace(from, to); err != nil {
		t.Fatal(err)
	}
	checkFile(t, to, []byte("new"))
	if exists(from) {
		t.Error("the old name is still there")
	}
	os.WriteFile(from, []byte("newer"), 0o644)
	if err := fetch.LinkNoReplace(from, to); !errors.Is(err, fs.ErrExist) {
		t.Errorf("renaming onto an existing file: %v, want an error matching fs.ErrExist", err)
	}
	checkFile(t, to, []byte("new"))
	checkFile(t, from, []byte("newer"))

	// Where no hard link can be made (here, of a directory), it renames
	// if to is free, and still refuses if it is not.
	dirFrom, dirTo := filepath.Join(dir, "d.part"), filepath.Join(dir, "d")
	if err := os.Mkdir(dirFrom, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := fetch.LinkNoReplace(dirFrom, to); !errors.Is(err, fs.ErrExist) {
		t.Errorf("renaming onto an existing file without a link: %v, want an error matching fs.ErrExist", err)
	}
	if err := fetch.LinkNoReplace(dirFrom, dirTo); err != nil {
		t.Errorf("renaming to a free name without a link: %v", err)
	}
	if exists(dirFrom) || !exists(dirTo) {
		t.Error("renaming without a link did not move the directory")
	}
	checkFile(t, to, []byte("new"))
}

// The sidecar goes before the part takes its final name, so that no
// sidecar outlives its part: if it cannot go (here a directory with a
// file in it has its name), the download fails and nothing is published.
func TestFetchFailsIfTheSidecarCannotBeRemoved(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { serve(w, r, []byte("the download"), "") })
	d := newDownloader(t)
	inside := filepath.Join(in(d, "a.txt.part.meta"), "mine")
	if err := os.Mkdir(in(d, "a.txt.part.meta"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(inside, []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/a.txt"})
	if res[0].Err == nil || !strings.Contains(res[0].Err.Error(), "a.txt.part.meta") {
		t.Errorf("error %v, want one about a.txt.part.meta", res[0].Err)
	}
	if exists(in(d, "a.txt")) {
		t.Error("a.txt was published with a sidecar still there")
	}
	checkFile(t, inside, []byte("precious"))
}

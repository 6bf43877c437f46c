package fetch_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/goasyncio/asyncio/fetch"
)

// smallDisk mounts a 1 MiB tmpfs for the test, or skips the test where
// mounting is not allowed.
func smallDisk(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=1m"); err != nil {
		t.Skipf("cannot mount a tmpfs to fill (needs root or CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, 0) })
	return dir
}

// A full disk fails the download, whichever file it could not write,
// and the error names that file; nothing is left under the final name.
func TestFullDisk(t *testing.T) {
	big := content(3<<20, 7) // three times the room there is
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		if r.URL.Path != "/big.bin" { // else chunked
			w.Header().Set("Content-Length", strconv.Itoa(len(big))) // worth a sidecar
		}
		w.Write(big)
	})
	tests := []struct {
		name      string
		file      string // the name of the download
		fillFirst bool   // fill the disk before the download starts
		wantFile  string // the file the error names
	}{
		{"the body fills it", "big.bin", false, "big.bin.part"},
		{"the body of a known length fills it", "sized.bin", false, "sized.bin.part"},
		{"no room for the sidecar", "sized.bin", true, "sized.bin.part.meta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := smallDisk(t)
			if tt.fillFirst {
				err := os.WriteFile(filepath.Join(dir, "filler"), big, 0o644)
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("filling the disk: %v, want ENOSPC", err)
				}
			}
			d := newDownloader(t)
			d.Dir = dir
			d.Retries = 1
			res := runOK(t, d, fetch.Request{URL: srv.URL + "/" + tt.file})
			if !errors.Is(res[0].Err, syscall.ENOSPC) {
				t.Errorf("Err = %v, want one matching ENOSPC", res[0].Err)
			}
			if res[0].Err != nil && !strings.Contains(res[0].Err.Error(), filepath.Join(dir, tt.wantFile)+":") {
				t.Errorf("Err = %v, want it to name %s", res[0].Err, tt.wantFile)
			}
			if _, err := os.Stat(filepath.Join(dir, tt.file)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a file is under the final name after the disk filled up (stat: %v)", err)
			}
		})
	}
}

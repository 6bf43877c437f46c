package fetch_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
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

func TestFullDisk(t *testing.T) {
	dir := smallDisk(t)
	big := content(3<<20, 7) // three times the room there is
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write(big) })
	d := newDownloader(t)
	d.Dir = dir
	d.Retries = 1
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/big.bin"})
	if !errors.Is(res[0].Err, syscall.ENOSPC) {
		t.Errorf("Err = %v, want one matching ENOSPC", res[0].Err)
	}
	if _, err := os.Stat(filepath.Join(dir, "big.bin")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file is under the final name after the disk filled up (stat: %v)", err)
	}
}

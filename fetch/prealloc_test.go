//go:build linux

package fetch_test

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"syscall"
	"testing"

	"github.com/goasyncio/asyncio/fetch"
)

// A part whose download broke off keeps the size of what arrived, however
// far ahead its blocks were reserved: resumption trusts that size. And it
// holds at most fetch.PreallocStep of blocks past its end, not the whole
// length the server announced; a complete file holds none past its end.
// Where the file system can reserve blocks, they are reserved a step at a
// time ahead of the writes: a part holds the blocks up to the end of the
// step its writes reached.
func TestFetchPartKeepsItsSizeAndFewBlocksPastIt(t *testing.T) {
	const step, slack = fetch.PreallocStep, 1 << 20
	tests := []struct {
		name            string
		announced, sent int
		wantMin         int64 // blocks held at least, where blocks can be reserved
		wantMax         int64 // blocks held at most
	}{
		{"broken off in the first step", 256 << 20, 3<<20 + 12345, step, 3<<20 + 12345 + step + slack},
		{"broken off in the second step", 256 << 20, 9<<20 + 12345, 2 * step, 9<<20 + 12345 + step + slack},
		{"complete", 9<<20 + 12345, 9<<20 + 12345, 9<<20 + 12345, 9<<20 + 12345 + slack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := content(tt.sent, 3)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: \"v1\"\r\n\r\n", tt.announced)
				buf.Write(body)
				buf.Flush()
			})
			d := newDownloader(t)
			res := runOK(t, d, fetch.Request{URL: srv.URL + "/f", Name: "f"})
			path := in(d, "f")
			if tt.sent < tt.announced {
				if !errors.Is(res[0].Err, fetch.ErrShortBody) {
					t.Fatalf("result %+v, want ErrShortBody", res[0])
				}
				path = in(d, "f.part")
			} else if res[0].Err != nil {
				t.Fatal(res[0].Err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Size() != int64(tt.sent) {
				t.Errorf("%s has %d bytes, want the %d that arrived", path, fi.Size(), tt.sent)
			}
			held := fi.Sys().(*syscall.Stat_t).Blocks * 512
			if held > tt.wantMax {
				t.Errorf("%s of %d bytes holds %d bytes of blocks, want at most %d", path, tt.sent, held, tt.wantMax)
			}
			if held < tt.wantMin && canReserve(t, d.Dir) {
				t.Errorf("%s of %d bytes holds %d bytes of blocks, want at least %d reserved", path, tt.sent, held, tt.wantMin)
			}
			checkFile(t, path, body)
		})
	}
}

// canReserve reports whether the file system of dir reserves blocks past
// the end of a file, as the downloads do where they can.
func canReserve(t *testing.T, dir string) bool {
	f, err := os.CreateTemp(dir, "probe")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	const keepSize = 1 // FALLOC_FL_KEEP_SIZE
	if err := syscall.Fallocate(int(f.Fd()), keepSize, 0, fetch.PreallocStep); err != nil {
		t.Logf("the file system does not reserve blocks: %v", err)
		return false
	}
	return true
}

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
// length the server announced.
func TestFetchPartKeepsItsSizeAndFewBlocksPastIt(t *testing.T) {
	const announced, sent = 256 << 20, 3<<20 + 12345
	body := content(sent, 3)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: \"v1\"\r\n\r\n", announced)
		buf.Write(body)
		buf.Flush()
	})
	d := newDownloader(t)
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/f", Name: "f"})
	if !errors.Is(res[0].Err, fetch.ErrShortBody) {
		t.Fatalf("result %+v, want ErrShortBody", res[0])
	}
	fi, err := os.Stat(in(d, "f.part"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != sent {
		t.Errorf("the part has %d bytes, want the %d that arrived", fi.Size(), sent)
	}
	if held := fi.Sys().(*syscall.Stat_t).Blocks * 512; held > sent+fetch.PreallocStep+1<<20 {
		t.Errorf("the part of %d bytes holds %d bytes of blocks, want at most %d past its end", sent, held, fetch.PreallocStep)
	}
	checkFile(t, in(d, "f.part"), body)
}

package fetch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/fetch"
)

// BenchmarkFetchLarge downloads 8 files of 64 MiB at once from a loopback
// server in the same process, as scenario 2 of bench/downloader does with
// a server of its own: the path of a large body (socket, copy loop,
// SHA-256, file) at full speed. Profile it with
//
//	go test ./fetch -run '^$' -bench FetchLarge -cpuprofile cpu.out
//
// The server's work is in the same profile, under net/http's server.
func BenchmarkFetchLarge(b *testing.B) {
	const files, size = 8, 64 << 20
	body := content(size+files, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/f%d", &i); err != nil || i < 0 || i >= files {
			http.NotFound(w, r)
			return
		}
		serve(w, r, body[i:i+size], fmt.Sprintf(`"f%d"`, i))
	}))
	defer srv.Close()
	reqs := make([]fetch.Request, files)
	for i := range reqs {
		reqs[i] = fetch.Request{URL: fmt.Sprintf("%s/f%d", srv.URL, i), SHA256: sum(body[i : i+size])}
	}
	b.SetBytes(files * size)
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		d := &fetch.Downloader{Dir: dir, Jobs: files}
		res, err := asyncio.Run(func(ctx context.Context) ([]fetch.Result, error) {
			return d.Fetch(ctx, reqs)
		})
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range res {
			if r.Err != nil || r.Bytes != size {
				b.Fatalf("%s: %d bytes, %v", r.Request.URL, r.Bytes, r.Err)
			}
		}
		// Drop the files now: a run that left 512 MiB of dirty pages
		// behind would make the next pay for their writeback.
		os.RemoveAll(dir)
		b.StartTimer()
	}
}

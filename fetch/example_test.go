package fetch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/fetch"
)

// Fetch downloads a list of files at once and reports on each; a failure
// is a result, not the end of the run. The server here stands for a web
// site.
func ExampleDownloader_Fetch() {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone.png" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, strings.Repeat("*", 1000))
	}))
	defer site.Close()
	dir, _ := os.MkdirTemp("", "fetch-example-")
	defer os.RemoveAll(dir)

	d := &fetch.Downloader{Dir: dir, Jobs: 4, Retries: 2}
	reqs, _ := fetch.ParseList(strings.NewReader(
		site.URL + "/images/cat.png\n" +
			site.URL + "/images/dog.png  puppy.png\n" +
			site.URL + "/gone.png\n"))
	results, err := asyncio.Run(func(ctx context.Context) ([]fetch.Result, error) {
		return d.Fetch(ctx, reqs)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range results {
		if r.Err != nil {
			fmt.Printf("%s failed: %v\n", strings.TrimPrefix(r.Request.URL, site.URL), r.Err)
			continue
		}
		fmt.Printf("%s: %d bytes\n", filepath.Base(r.Path), r.Bytes)
	}
	// Output:
	// cat.png: 1000 bytes
	// puppy.png: 1000 bytes
	// /gone.png failed: fetch: HTTP 404 Not Found
}

package fetch_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/fetch"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newDownloader returns a Downloader saving into a new temporary directory,
// with reproducible backoff jitter.
func newDownloader(t *testing.T) *fetch.Downloader {
	d := &fetch.Downloader{Dir: t.TempDir()}
	fetch.SetRand(d, rand.New(rand.NewPCG(1, 2)))
	return d
}

// run calls d.Fetch on a loop with a virtual clock, and returns its results
// and how much loop time it took: the sum of the waits between attempts,
// since real waits on the network do not move a virtual clock.
//
// Like every test of the package that runs a loop, it checks that no
// goroutine started during the call outlives it.
func run(t *testing.T, d *fetch.Downloader, reqs ...fetch.Request) ([]fetch.Result, time.Duration, error) {
	t.Helper()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var took time.Duration
	res, err := asyncio.Run(func(ctx context.Context) ([]fetch.Result, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		start := l.Time()
		defer func() { took = l.Time() - start }()
		return d.Fetch(ctx, reqs)
	}, asyncio.WithVirtualClock(), asyncio.WithExceptionHandler(func(e *asyncio.Exception) { t.Error(e) }))
	return res, took, err
}

// runOK is run for a call that must succeed as a whole.
func runOK(t *testing.T, d *fetch.Downloader, reqs ...fetch.Request) []fetch.Result {
	t.Helper()
	res, _, err := run(t, d, reqs...)
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if len(res) != len(reqs) {
		t.Fatalf("Fetch returned %d results for %d requests", len(res), len(reqs))
	}
	return res
}

// content returns n reproducible bytes that differ with seed.
func content(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 99))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// newServer starts a test server with h, closed when the test ends.
func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// A roundTrip is an http.RoundTripper made of a function: a Client with
// one as its Transport answers requests in the process, for tests of what
// no test server sends (hosts of any name, bodies that read oddly).
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// respond returns a response to r with the status code and body, of
// length bytes (-1 if unknown).
func respond(r *http.Request, code int, body io.Reader, length int64) *http.Response {
	return &http.Response{
		Status: fmt.Sprintf("%d %s", code, http.StatusText(code)), StatusCode: code,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(body), ContentLength: length, Request: r,
	}
}

// serve answers r with body as a file with the ETag etag, honouring Range
// and If-Range as a real file server does.
func serve(w http.ResponseWriter, r *http.Request, body []byte, etag string) {
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// A hits records the requests a server received.
type hits struct {
	mu   sync.Mutex
	reqs []http.Request
}

// add records r and returns how many requests for its path came before.
func (h *hits) add(r *http.Request) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, o := range h.reqs {
		if o.URL.Path == r.URL.Path {
			n++
		}
	}
	h.reqs = append(h.reqs, http.Request{URL: r.URL, Header: r.Header.Clone()})
	return n
}

// all returns the requests received so far.
func (h *hits) all() []http.Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reqs)
}

// checkFile fails the test unless the file at path holds want.
func checkFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the download: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s holds %d bytes (sha256 %s), want %d bytes (sha256 %s)", path, len(got), sum(got)[:12], len(want), sum(want)[:12])
	}
}

// dirFiles returns the names of the files in dir, sorted.
func dirFiles(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// in returns the path of name in d's directory.
func in(d *fetch.Downloader, name string) string { return filepath.Join(d.Dir, name) }

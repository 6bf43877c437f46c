// Command server is the loopback file server of the downloader benchmark
// (see ../README.md): it serves n files of a given size, generated at
// start, optionally after a delay and failing a share of the requests with
// 503, and writes the list of their URLs and their SHA-256 sums.
//
//	go run ./bench/downloader/server -n 1000 -size 64K -latency 50ms -fail 0.1 -dir /tmp/scenario
//
// It listens on 127.0.0.1 only, prints its address, and exits by itself
// after -lifetime.
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

func main() {
	n := flag.Int("n", 10, "number of files")
	sizeFlag := flag.String("size", "64K", "size of each file, in bytes or with K, M or G")
	latency := flag.Duration("latency", 0, "delay before each response")
	fail := flag.Float64("fail", 0, "share of responses that fail with 503, from 0 to 1")
	dir := flag.String("dir", ".", "directory to write urls.txt and SHA256SUMS in")
	lifetime := flag.Duration("lifetime", 30*time.Minute, "exit after this long")
	flag.Parse()
	size, err := parseSize(*sizeFlag)
	if err != nil || *n < 1 || *fail < 0 || *fail >= 1 {
		log.Fatalf("server: bad flags (size %q: %v, n %d, fail %v)", *sizeFlag, err, *n, *fail)
	}

	files := newFiles(*n, size)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	if err := files.writeLists(*dir, base); err != nil {
		log.Fatal(err)
	}
	fmt.Println(base)
	time.AfterFunc(*lifetime, func() { os.Exit(0) })
	srv := &http.Server{
		Handler:           &handler{files: files, latency: *latency, fail: *fail},
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Fatal(srv.Serve(ln))
}

// parseSize reads a size such as 65536, 64K or 64M.
func parseSize(s string) (int, error) {
	mult := 1
	switch {
	case strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	v, err := strconv.Atoi(strings.TrimRight(s, "KMG"))
	if err != nil || v < 1 {
		return 0, fmt.Errorf("want a positive size, such as 64K")
	}
	return v * mult, nil
}

// files are n files of one size, all windows on one random buffer, each
// starting a byte later than the one before: distinct contents at the cost
// of one file's memory.
type files struct {
	n, size int
	data    []byte
}

func newFiles(n, size int) *files {
	data := make([]byte, size+n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < len(data); i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < len(data); j++ {
			data[i+j] = byte(v >> (8 * j))
		}
	}
	return &files{n: n, size: size, data: data}
}

func (f *files) name(i int) string { return fmt.Sprintf("f%05d.bin", i) }
func (f *files) body(i int) []byte { return f.data[i : i+f.size] }
func (f *files) index(name string) int {
	i, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(name, "f"), ".bin"))
	if err != nil || i < 0 || i >= f.n || name != f.name(i) {
		return -1
	}
	return i
}

// writeLists writes urls.txt, one URL a line, and SHA256SUMS, in the
// format of sha256sum -c.
func (f *files) writeLists(dir, base string) error {
	var urls, sums bytes.Buffer
	for i := range f.n {
		fmt.Fprintf(&urls, "%s/%s\n", base, f.name(i))
		fmt.Fprintf(&sums, "%x  %s\n", sha256.Sum256(f.body(i)), f.name(i))
	}
	if err := os.WriteFile(filepath.Join(dir, "SHA256SUMS"), sums.Bytes(), 0o644); err != nil {
		return err
	}
	// urls.txt last: the benchmark script waits for it.
	tmp := filepath.Join(dir, "urls.txt.tmp")
	if err := os.WriteFile(tmp, urls.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "urls.txt"))
}

type handler struct {
	files    *files
	latency  time.Duration
	fail     float64
	requests atomic.Uint64
}

// lastMod is the Last-Modified of every file.
var lastMod = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	i := h.files.index(strings.TrimPrefix(r.URL.Path, "/"))
	if i < 0 {
		http.NotFound(w, r)
		return
	}
	if h.latency > 0 {
		select {
		case <-time.After(h.latency):
		case <-r.Context().Done():
			return
		}
	}
	// Fail every response whose number crosses a multiple of 1/fail:
	// exactly that share, spread evenly, the same on every run.
	k := h.requests.Add(1)
	if uint64(float64(k)*h.fail) != uint64(float64(k-1)*h.fail) {
		http.Error(w, "try again", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("ETag", strconv.Quote(h.files.name(i)))
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", lastMod, bytes.NewReader(h.files.body(i)))
}

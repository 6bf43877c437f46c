package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/fetch"
)

// The demo is the tutorial's §2: the same images fetched one at a time and
// then all at once from a server that takes a while to answer. Waiting is
// most of the work, so the asynchronous run takes about 1/demoImages of
// the time.
const (
	demoImages  = 3
	demoLatency = 300 * time.Millisecond
)

// runDemo runs the demo and returns the exit code.
func runDemo(ctx context.Context, c *config, stdout, stderr io.Writer) int {
	dir, cleanup, err := demoDir(c.dir)
	if err != nil {
		return failUsage(stderr, err)
	}
	defer cleanup()
	srv, urls, err := startDemoServer(demoImages, demoLatency)
	if err != nil {
		fmt.Fprintf(stderr, "aiofetch: cannot start the demo server: %v\n", err)
		return exitFailed
	}
	defer srv.Close()

	fmt.Fprintf(stdout, "aiofetch demo: %d generated PNG images from a local server that waits %v before each answer\n",
		demoImages, demoLatency)
	var failed []fetch.Result
	times, err := asyncio.Run(func(ctx context.Context) ([2]time.Duration, error) {
		var took [2]time.Duration
		for i, mode := range []struct {
			title, sub string
			jobs       int
		}{{"sync, one at a time", "sync", 1}, {"async, all at once", "async", demoImages}} {
			fmt.Fprintf(stdout, "\n%s:\n", mode.title)
			sub := filepath.Join(dir, mode.sub)
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return took, err
			}
			d := &fetch.Downloader{Dir: sub, Jobs: mode.jobs, Overwrite: c.overwrite, OnEvent: demoPrinter(stdout, dir)}
			var err error
			if took[i], failed, err = timed(ctx, d, urls); err != nil || len(failed) > 0 {
				return took, err
			}
			fmt.Fprintf(stdout, "  took %s\n", seconds(took[i]))
		}
		return took, nil
	}, asyncio.WithContext(ctx))
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "aiofetch: interrupted")
		return exitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "aiofetch: %s\n", escape(trimPkg(err)))
		return exitFailed
	case len(failed) > 0:
		for _, r := range failed {
			fmt.Fprintf(stderr, "aiofetch: %s: %s\n", escape(r.Request.URL), reason(r.Err))
		}
		return exitFailed
	}
	fmt.Fprintf(stdout, "\nsync: %s  async: %s  async took 1/%.1f of the sync time\n",
		seconds(times[0]), seconds(times[1]), times[0].Seconds()/times[1].Seconds())
	if c.dir != "" {
		fmt.Fprintf(stdout, "the images are in %s\n", dir)
	}
	return exitOK
}

// timed fetches urls with d and returns how long it took on the loop's
// clock, and the failed results.
func timed(ctx context.Context, d *fetch.Downloader, urls []string) (time.Duration, []fetch.Result, error) {
	l, err := asyncio.GetRunningLoop(ctx)
	if err != nil {
		return 0, nil, err
	}
	reqs := make([]fetch.Request, len(urls))
	for i, u := range urls {
		reqs[i] = fetch.Request{URL: u}
	}
	start := l.Time()
	results, err := d.Fetch(ctx, reqs)
	took := l.Time() - start
	var failed []fetch.Result
	for _, r := range results {
		if r.Err != nil {
			failed = append(failed, r)
		}
	}
	return took, failed, err
}

// demoPrinter prints when each download starts and ends, as the
// tutorial's example does.
func demoPrinter(w io.Writer, dir string) func(fetch.Event) {
	return func(e fetch.Event) {
		switch {
		case e.Kind == fetch.EventRequest && e.Attempt == 1:
			fmt.Fprintf(w, "  start  %s\n", escape(e.URL))
		case e.Kind == fetch.EventDone && e.Result.Err == nil:
			rel, _ := filepath.Rel(dir, e.Result.Path)
			fmt.Fprintf(w, "  saved  %s (%s)\n", escape(rel), size(e.Result.Bytes))
		}
	}
}

// demoDir returns the directory for the demo's files: dir, made if
// missing, or a temporary one that cleanup removes.
func demoDir(dir string) (string, func(), error) {
	if dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", nil, badUsage("cannot make the output directory: %v", err)
		}
		return dir, func() {}, nil
	}
	tmp, err := os.MkdirTemp("", "aiofetch-demo-")
	if err != nil {
		return "", nil, badUsage("cannot make a temporary directory: %v", err)
	}
	return tmp, func() { os.RemoveAll(tmp) }, nil
}

// A demoServer serves generated PNG images on the loopback interface,
// waiting latency before each answer.
type demoServer struct {
	srv *http.Server
}

// startDemoServer starts a server with n images and returns their URLs.
func startDemoServer(n int, latency time.Duration) (*demoServer, []string, error) {
	images := make([][]byte, n)
	for i := range images {
		images[i] = demoImage(i, n)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /images/{file}", func(w http.ResponseWriter, r *http.Request) {
		i, err := strconv.Atoi(strings.TrimSuffix(r.PathValue("file"), ".png"))
		if err != nil || i < 1 || i > n {
			http.NotFound(w, r)
			return
		}
		select {
		case <-time.After(latency):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "image/png")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(images[i-1]))
	})
	s := &demoServer{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go s.srv.Serve(ln)
	urls := make([]string, n)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://%s/images/%d.png", ln.Addr(), i+1)
	}
	return s, urls, nil
}

// Close stops the server, letting the answers in progress finish.
func (s *demoServer) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		s.srv.Close()
	}
}

// demoImage draws image i of n: colour gradients under rings, with a
// blue of its own.
func demoImage(i, n int) []byte {
	const w, h = 320, 200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	blue := 192 * i / max(n, 1)
	for y := range h {
		for x := range w {
			dx, dy := x-w/2, y-h/2
			ring := (dx*dx + dy*dy) / 200 % 2 * 40
			img.Set(x, y, color.RGBA{
				R: uint8(x * 215 / w),
				G: uint8(y * 215 / h),
				B: uint8(blue + ring),
				A: 255,
			})
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img) // cannot fail on a bytes.Buffer
	return buf.Bytes()
}

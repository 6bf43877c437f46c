package fetch_test

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/fetch"
)

func TestFetchVerifiesChecksums(t *testing.T) {
	body := content(50_000, 10)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { serve(w, r, body, "") })
	tests := []struct {
		name, sha256 string
		wantErr      error
	}{
		{"matches", sum(body), nil},
		{"matches in upper case", strings.ToUpper(sum(body)), nil},
		{"differs", sum([]byte("something else")), fetch.ErrChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDownloader(t)
			d.Retries = 3
			res := runOK(t, d, fetch.Request{URL: srv.URL + "/f.bin", SHA256: tt.sha256})
			if !errors.Is(res[0].Err, tt.wantErr) {
				t.Fatalf("error %v, want %v", res[0].Err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if files := dirFiles(t, d.Dir); len(files) != 0 {
					t.Errorf("a file that failed its checksum left %v", files)
				}
				if res[0].Attempts != 1 {
					t.Errorf("%d attempts, want 1: a checksum mismatch is final", res[0].Attempts)
				}
				return
			}
			checkFile(t, in(d, "f.bin"), body)
		})
	}
}

// TestFetchSkipSHA256 checks that SkipSHA256 spares hashing only where no
// checksum is asked for: a file with a checksum is still verified, also
// when its download resumes a part.
func TestFetchSkipSHA256(t *testing.T) {
	body := content(300_000, 12)
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if h.add(r) == 0 && r.URL.Path == "/resumed.bin" {
			sendHalf(w, body, `"v1"`, time.Time{}) // and the connection drops
			return
		}
		serve(w, r, body, `"v1"`)
	})
	tests := []struct {
		name, path, sha256 string
		wantSum            string
		wantErr            error
	}{
		{"no checksum", "/plain.bin", "", "", nil},
		{"checksum", "/checked.bin", sum(body), sum(body), nil},
		{"checksum differs", "/wrong.bin", sum([]byte("other")), "", fetch.ErrChecksum},
		{"checksum, resumed", "/resumed.bin", sum(body), sum(body), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDownloader(t)
			d.SkipSHA256, d.Retries = true, 1
			res := runOK(t, d, fetch.Request{URL: srv.URL + tt.path, SHA256: tt.sha256})
			if !errors.Is(res[0].Err, tt.wantErr) || res[0].SHA256 != tt.wantSum {
				t.Fatalf("result %+v, want error %v and SHA256 %q", res[0], tt.wantErr, tt.wantSum)
			}
			if tt.wantErr == nil {
				checkFile(t, res[0].Path, body)
			}
		})
	}
	for _, r := range h.all() {
		if r.URL.Path == "/resumed.bin" && rangeStart(&r) > 0 {
			return
		}
	}
	t.Error("the resumed download asked for no range: the part was not resumed")
}

func TestFetchContinueSkipsCompleteFiles(t *testing.T) {
	body := content(20_000, 11)
	stale := []byte("an older copy")
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		serve(w, r, body, "")
	})
	tests := []struct {
		name      string
		req       fetch.Request
		file      string // name of the file present before
		present   []byte
		overwrite bool
		wantSkip  bool
		wantErr   error
		wantHits  int
		wantBytes []byte // the file afterwards
	}{
		{"named, no checksum", fetch.Request{Name: "x.bin"}, "x.bin", stale, false, true, nil, 0, stale},
		{"named, checksum matches", fetch.Request{Name: "x.bin", SHA256: sum(body)}, "x.bin", body, false, true, nil, 0, body},
		{"named, checksum differs", fetch.Request{Name: "x.bin", SHA256: sum(body)}, "x.bin", stale, false, false, fetch.ErrExists, 0, stale},
		{"named, checksum differs, Overwrite", fetch.Request{Name: "x.bin", SHA256: sum(body)}, "x.bin", stale, true, false, nil, 1, body},
		{"named from the URL", fetch.Request{}, "f.bin", stale, false, true, nil, 1, stale},
		{"absent", fetch.Request{}, "", nil, false, false, nil, 1, body},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h = hits{}
			d := newDownloader(t)
			d.Continue, d.Overwrite = true, tt.overwrite
			if tt.file != "" {
				if err := os.WriteFile(in(d, tt.file), tt.present, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var done fetch.Event
			d.OnEvent = func(e fetch.Event) {
				if e.Kind == fetch.EventDone {
					done = e
				}
			}
			tt.req.URL = srv.URL + "/f.bin"
			res := runOK(t, d, tt.req)
			if !errors.Is(res[0].Err, tt.wantErr) || res[0].Skipped != tt.wantSkip {
				t.Fatalf("result %+v, want error %v and skipped: %v", res[0], tt.wantErr, tt.wantSkip)
			}
			if len(h.all()) != tt.wantHits {
				t.Errorf("%d requests, want %d", len(h.all()), tt.wantHits)
			}
			checkFile(t, in(d, cmp.Or(tt.file, "f.bin")), tt.wantBytes)
			if res[0].Attempts != tt.wantHits {
				t.Errorf("%d attempts, want %d", res[0].Attempts, tt.wantHits)
			}
			if tt.wantSkip && res[0].Bytes != int64(len(tt.present)) {
				t.Errorf("skipped result says %d bytes, want the file's %d", res[0].Bytes, len(tt.present))
			}
			// The done event counts the bytes of the file, skipped or not.
			if done.Written != res[0].Bytes {
				t.Errorf("done event says %d bytes written, result %d", done.Written, res[0].Bytes)
			}
		})
	}
}

func TestFetchDoesNotReplaceFiles(t *testing.T) {
	body := content(1000, 12)
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		if r.URL.Path == "/cd" {
			w.Header().Set("Content-Disposition", `attachment; filename="notes.txt"`)
		}
		serve(w, r, body, "")
	})
	mine := []byte("the user's own")
	tests := []struct {
		name      string
		req       fetch.Request
		present   string // the file present before, holding mine
		link      bool   // present is a symbolic link to a file holding mine
		overwrite bool
		wantErr   error
		wantHits  int
	}{
		{"name from the URL", fetch.Request{URL: "/f.bin"}, "f.bin", false, false, fetch.ErrExists, 1},
		{"name from Content-Disposition", fetch.Request{URL: "/cd"}, "notes.txt", false, false, fetch.ErrExists, 1},
		{"name from the request", fetch.Request{URL: "/f.bin", Name: "x.bin"}, "x.bin", false, false, fetch.ErrExists, 0},
		{"symbolic link", fetch.Request{URL: "/f.bin"}, "f.bin", true, false, fetch.ErrExists, 1},
		{"Overwrite", fetch.Request{URL: "/cd"}, "notes.txt", false, true, nil, 1},
		{"symbolic link, Overwrite", fetch.Request{URL: "/f.bin"}, "f.bin", true, true, nil, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h = hits{}
			d := newDownloader(t)
			d.Retries, d.Overwrite = 2, tt.overwrite
			victim := in(d, tt.present)
			if tt.link {
				victim = filepath.Join(t.TempDir(), "victim")
				if err := os.Symlink(victim, in(d, tt.present)); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(victim, mine, 0o644); err != nil {
				t.Fatal(err)
			}
			tt.req.URL = srv.URL + tt.req.URL
			res := runOK(t, d, tt.req)
			if !errors.Is(res[0].Err, tt.wantErr) {
				t.Fatalf("error %v, want %v", res[0].Err, tt.wantErr)
			}
			if n := len(h.all()); n != tt.wantHits || res[0].Attempts != tt.wantHits {
				t.Errorf("%d requests in %d attempts, want %d", n, res[0].Attempts, tt.wantHits)
			}
			if tt.wantErr != nil {
				if !strings.Contains(res[0].Err.Error(), in(d, tt.present)) {
					t.Errorf("error %q does not name the file", res[0].Err)
				}
				if got := dirFiles(t, d.Dir); len(got) != 1 {
					t.Errorf("directory holds %v, want only %s", got, tt.present)
				}
			} else {
				checkFile(t, in(d, tt.present), body)
			}
			if tt.link || tt.wantErr != nil {
				checkFile(t, victim, mine)
			}
		})
	}
}

func TestFetchDoesNotReplaceAFileMadeDuringTheDownload(t *testing.T) {
	body := content(1000, 15)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { serve(w, r, body, "") })
	theirs := []byte("made by another program")
	for _, overwrite := range []bool{false, true} {
		d := newDownloader(t)
		d.Overwrite = overwrite
		d.OnEvent = func(e fetch.Event) {
			// Once the name has been found free, before the body is saved.
			if e.Kind == fetch.EventResponse {
				if err := os.WriteFile(in(d, "f.bin"), theirs, 0o644); err != nil {
					t.Error(err)
				}
			}
		}
		res := runOK(t, d, fetch.Request{URL: srv.URL + "/f.bin"})
		if overwrite {
			if res[0].Err != nil {
				t.Fatalf("Overwrite: %v", res[0].Err)
			}
			checkFile(t, in(d, "f.bin"), body)
			continue
		}
		if !errors.Is(res[0].Err, fetch.ErrExists) {
			t.Errorf("error %v, want ErrExists", res[0].Err)
		}
		checkFile(t, in(d, "f.bin"), theirs)
	}
}

// pattern is the repeating content of the large body.
var pattern = content(64<<10, 13)

func TestFetchLargeBodyInBoundedMemory(t *testing.T) {
	const size = 100 << 20
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "104857600")
		for range size / len(pattern) {
			if _, err := w.Write(pattern); err != nil {
				return
			}
		}
	})
	want := sum(slices.Repeat(pattern, size/len(pattern)))
	d := newDownloader(t)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	})
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/big", SHA256: want})
	close(stop)
	wg.Wait()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	if res[0].Err != nil || res[0].Bytes != size {
		t.Fatalf("result %+v, want %d bytes", res[0], size)
	}
	// The body is 100 MiB; a downloader that buffered it would need that
	// much heap. Streaming needs a buffer or two.
	const bound = 16 << 20
	if grew := int64(peak) - int64(before.HeapInuse); grew > bound {
		t.Errorf("heap in use grew by %d MiB during the download, want under %d MiB", grew>>20, bound>>20)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2*bound {
		t.Errorf("%d MiB allocated during the download, want under %d MiB", alloc>>20, 2*bound>>20)
	}
	t.Logf("heap in use peaked %d KiB above the start; %d KiB allocated", (int64(peak)-int64(before.HeapInuse))>>10, (after.TotalAlloc-before.TotalAlloc)>>10)
}

func TestFetchRejectsBadInputBeforeDownloading(t *testing.T) {
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { h.add(r) })
	good := fetch.Request{URL: srv.URL + "/ok"}
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, nil, 0o644)
	tests := []struct {
		name string
		dir  string
		req  fetch.Request
		want error
	}{
		{"ftp URL", "", fetch.Request{URL: "ftp://h/x"}, fetch.ErrInvalidURL},
		{"relative URL", "", fetch.Request{URL: "/just/a/path"}, fetch.ErrInvalidURL},
		{"unparsable URL", "", fetch.Request{URL: "http://h/%zz"}, fetch.ErrInvalidURL},
		{"no host", "", fetch.Request{URL: "http:///x"}, fetch.ErrInvalidURL},
		{"name with a directory", "", fetch.Request{URL: good.URL, Name: "a/b"}, fetch.ErrInvalidName},
		{"hidden name", "", fetch.Request{URL: good.URL, Name: ".x"}, fetch.ErrInvalidName},
		{"name of a partial file", "", fetch.Request{URL: good.URL, Name: "a.part"}, fetch.ErrInvalidName},
		{"name of a sidecar", "", fetch.Request{URL: good.URL, Name: "a.part.meta"}, fetch.ErrInvalidName},
		{"short checksum", "", fetch.Request{URL: good.URL, SHA256: "abc"}, fetch.ErrInvalidChecksum},
		{"missing directory", filepath.Join(file, "..", "nope"), good, fetch.ErrInvalidDir},
		{"file as directory", file, good, fetch.ErrInvalidDir},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDownloader(t)
			if tt.dir != "" {
				d.Dir = tt.dir
			}
			res, _, err := run(t, d, good, tt.req)
			if !errors.Is(err, tt.want) || res != nil {
				t.Errorf("Fetch returned %d results and %v, want no result and %v", len(res), err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "fetch: ") {
				t.Errorf("error text %q does not start with the package name", err)
			}
		})
	}
	if n := len(h.all()); n != 0 {
		t.Errorf("%d requests sent despite bad input", n)
	}
}

func TestFetchOutsideATaskPanics(t *testing.T) {
	defer func() {
		err, _ := recover().(error)
		if !errors.Is(err, asyncio.ErrNoRunningLoop) {
			t.Errorf("panic with %v, want ErrNoRunningLoop", err)
		}
	}()
	new(fetch.Downloader).Fetch(context.Background(), nil)
}

func TestFetchEvents(t *testing.T) {
	body := content(3<<20, 14)
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if h.add(r) == 0 {
			w.Header().Set("Content-Length", "3145728")
			w.Header().Set("ETag", `"e"`)
			w.Write(body[:1<<20])
			return // short: the retry resumes
		}
		serve(w, r, body, `"e"`)
	})
	d := newDownloader(t)
	d.Retries = 1
	d.RateLimit = 64 << 20 // limited, yet fast enough for a test
	var events []fetch.Event
	d.OnEvent = func(e fetch.Event) { events = append(events, e) }
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/e.bin"})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	checkFile(t, res[0].Path, body)

	var kinds []fetch.EventKind
	for _, e := range events {
		if e.Kind != fetch.EventProgress && (len(kinds) == 0 || kinds[len(kinds)-1] != e.Kind) {
			kinds = append(kinds, e.Kind)
		}
		if e.Index != 0 || e.URL != srv.URL+"/e.bin" {
			t.Errorf("%v event for request %d, %s", e.Kind, e.Index, e.URL)
		}
	}
	want := []fetch.EventKind{fetch.EventRequest, fetch.EventResponse, fetch.EventRetry, fetch.EventRequest, fetch.EventResponse, fetch.EventDone}
	if !slices.Equal(kinds, want) {
		t.Errorf("events %v, want %v with progress between", kinds, want)
	}
	var last int64 = -1
	for _, e := range events {
		switch e.Kind {
		case fetch.EventResponse:
			last = e.Written // a resume starts from the part
		case fetch.EventProgress:
			if e.Written < last || e.Written > int64(len(body)) || e.Total != int64(len(body)) {
				t.Errorf("progress %d of %d after %d", e.Written, e.Total, last)
			}
			last = e.Written
		case fetch.EventRetry:
			if e.Written != 1<<20 {
				t.Errorf("retry event says the part keeps %d bytes, want %d", e.Written, 1<<20)
			}
		case fetch.EventDone:
			if e.Result == nil || e.Written != int64(len(body)) || e.Path != res[0].Path {
				t.Errorf("done event %+v, want the result and %d bytes", e, len(body))
			}
		}
	}
}

func TestEventKindString(t *testing.T) {
	for k, want := range map[fetch.EventKind]string{fetch.EventRetry: "retry", fetch.EventDone: "done", 0: "EventKind(0)", fetch.EventDone + 1: "EventKind(6)", 42: "EventKind(42)"} {
		if got := k.String(); got != want {
			t.Errorf("EventKind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

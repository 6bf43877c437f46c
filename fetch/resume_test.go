package fetch_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/fetch"
)

// writePart leaves in d's directory what an interrupted earlier run of
// the download of url to name leaves: a part and its sidecar.
func writePart(t *testing.T, d *fetch.Downloader, url, name string, part []byte, etag string, length int) {
	t.Helper()
	if err := os.WriteFile(in(d, name+".part"), part, 0o644); err != nil {
		t.Fatal(err)
	}
	meta, _ := json.Marshal(map[string]any{"url": url, "name": name, "etag": etag, "length": length})
	if err := os.WriteFile(in(d, name+".part.meta"), meta, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestFetchResumesAPartFromAnEarlierRun(t *testing.T) {
	body := content(300_000, 5)
	const etag = `"same"`
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		serve(w, r, body, etag)
	})
	d := newDownloader(t)
	url := srv.URL + "/big.bin"
	writePart(t, d, url, "big.bin", body[:123_456], etag, len(body))
	var first fetch.Event
	d.OnEvent = func(e fetch.Event) {
		if e.Kind == fetch.EventResponse {
			first = e
		}
	}
	res := runOK(t, d, fetch.Request{URL: url})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	checkFile(t, in(d, "big.bin"), body)
	if res[0].SHA256 != sum(body) {
		t.Errorf("result sha256 %s, want the whole file's %s", res[0].SHA256, sum(body))
	}
	req := h.all()[0]
	if req.Header.Get("Range") != "bytes=123456-" || req.Header.Get("If-Range") != etag {
		t.Errorf("request has Range %q and If-Range %q, want bytes=123456- and %s",
			req.Header.Get("Range"), req.Header.Get("If-Range"), etag)
	}
	if first.Written != 123_456 || first.Total != int64(len(body)) {
		t.Errorf("response event says %d of %d bytes, want 123456 of %d", first.Written, first.Total, len(body))
	}
	if got := dirFiles(t, d.Dir); !slices.Equal(got, []string{"big.bin"}) {
		t.Errorf("directory holds %v, want only big.bin", got)
	}
}

func TestFetchRestartsWhenTheFileChanged(t *testing.T) {
	body := content(300_000, 6)
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		serve(w, r, body, `"new"`)
	})
	tests := []struct {
		name       string
		etag       string
		length     int
		partSize   int  // 0: 100_000
		wantRanged bool // whether the part is worth asking the server about
		wantReqs   int
	}{
		{"other ETag", `"old"`, len(body), 0, true, 1},       // If-Range fails: 200
		{"other length", `"new"`, len(body) + 5, 0, true, 2}, // 206 of another file: ask again
		{"no validator", "", len(body), 0, false, 1},         // nothing proves it the same file
		// The part runs past the end of the file: 416, ask again.
		{"range not satisfiable", `"new"`, len(body) + 50_000, len(body) + 10_000, true, 2},
		// Nothing is missing, so nothing to ask for: start over.
		{"part as long as the file", `"new"`, len(body), len(body), false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h = hits{}
			d := newDownloader(t)
			url := srv.URL + "/f.bin"
			writePart(t, d, url, "f.bin", content(cmp.Or(tt.partSize, 100_000), 7), tt.etag, tt.length)
			res := runOK(t, d, fetch.Request{URL: url})
			if res[0].Err != nil {
				t.Fatal(res[0].Err)
			}
			checkFile(t, in(d, "f.bin"), body)
			if len(h.all()) != tt.wantReqs {
				t.Errorf("%d requests, want %d", len(h.all()), tt.wantReqs)
			}
			ranged := h.all()[0].Header.Get("Range") != ""
			if ranged != tt.wantRanged {
				t.Errorf("first request has Range %q; want one: %v", h.all()[0].Header.Get("Range"), tt.wantRanged)
			}
			if got := dirFiles(t, d.Dir); !slices.Equal(got, []string{"f.bin"}) {
				t.Errorf("directory holds %v, want only f.bin", got)
			}
		})
	}
}

// A part gets a sidecar if the file it belongs to has at least
// fetch.ResumeMin bytes: a smaller one is quicker to fetch again.
func TestFetchKeepsASidecarForLargeParts(t *testing.T) {
	size := fetch.ResumeMin + 1000
	body := content(size, 8)
	for _, tt := range []struct {
		length      int // the announced length, of which half of body comes
		wantSidecar bool
	}{
		{999999999, true},
		{fetch.ResumeMin, true},
		{fetch.ResumeMin - 1, false},
	} {
		t.Run(strconv.Itoa(tt.length), func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.Itoa(tt.length))
				w.Header().Set("ETag", `"x"`)
				w.Write(body[:size/2])
			})
			d := newDownloader(t)
			url := srv.URL + "/large.bin"
			res := runOK(t, d, fetch.Request{URL: url})
			if !errors.Is(res[0].Err, fetch.ErrShortBody) {
				t.Fatalf("error %v, want ErrShortBody", res[0].Err)
			}
			b, err := os.ReadFile(in(d, "large.bin.part.meta"))
			if !tt.wantSidecar {
				if err == nil {
					t.Errorf("a sidecar for a file of %d bytes: %s", tt.length, b)
				}
				return
			}
			if err != nil {
				t.Fatalf("no sidecar for a large part: %v", err)
			}
			var m map[string]any
			if err := json.Unmarshal(b, &m); err != nil || m["url"] != url || m["etag"] != `"x"` || m["length"] != float64(tt.length) {
				t.Errorf("sidecar %s, want the URL, ETag and length (%v)", b, err)
			}
		})
	}
}

func TestFetchCancelledLeavesOnlyParts(t *testing.T) {
	body := content(1<<20, 9)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1048576")
		w.Header().Set("ETag", `"c"`)
		w.Write(body[:300_000])
		http.NewResponseController(w).Flush()
		<-r.Context().Done() // hold the rest until the client goes
	})
	d := newDownloader(t)
	var results []fetch.Result
	var fetchErr error
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		var tk *asyncio.Task[int]
		receiving := map[int]bool{}
		d.OnEvent = func(e fetch.Event) {
			if e.Kind == fetch.EventProgress && e.Written > 0 {
				receiving[e.Index] = true
			}
			if len(receiving) == 2 {
				tk.Cancel() // as Ctrl-C does, through asyncio.WithContext
			}
		}
		tk = asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			results, fetchErr = d.Fetch(ctx, []fetch.Request{{URL: srv.URL + "/a.bin"}, {URL: srv.URL + "/b.bin"}})
			return 0, fetchErr
		})
		_, err := asyncio.Await(ctx, tk)
		if !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("the cancelled task ended with %v", err)
		}
		return 0, nil
	}, asyncio.WithVirtualClock())
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(fetchErr, asyncio.ErrCancelled) {
		t.Errorf("Fetch returned %v, want ErrCancelled", fetchErr)
	}
	for _, r := range results {
		if !errors.Is(r.Err, context.Canceled) {
			t.Errorf("%s: %v, want a cancellation", r.Request.URL, r.Err)
		}
	}
	for _, name := range dirFiles(t, d.Dir) {
		if name == "a.bin" || name == "b.bin" {
			t.Errorf("a cancelled download left %s under its final name", name)
		}
	}
	if !exists(in(d, "a.bin.part")) || !exists(in(d, "b.bin.part")) {
		t.Errorf("directory holds %v, want the two parts", dirFiles(t, d.Dir))
	}
}

// junk is what a broken server sends after the last byte of a file.
var junk = []byte("JUNK PAST THE END!!") // 19 bytes

// sendHalf answers with the headers of the whole of body, with the
// validators given, but only its first half: the connection drops there.
func sendHalf(w http.ResponseWriter, body []byte, etag string, modified time.Time) {
	if etag != "" {
		w.Header().Set("ETag", etag)
	}
	if !modified.IsZero() {
		w.Header().Set("Last-Modified", modified.Format(http.TimeFormat))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body[:len(body)/2])
}

// rangeStart returns where the Range of r starts, or -1 if it has none.
func rangeStart(r *http.Request) int {
	var from int
	if _, err := fmt.Sscanf(r.Header.Get("Range"), "bytes=%d-", &from); err != nil {
		return -1
	}
	return from
}

func TestFetchRejectsA206LongerThanAnnounced(t *testing.T) {
	body := content(2<<20, 21)
	tests := []struct {
		name    string
		chunked bool // else a Content-Length that counts the junk too
		always  bool // every 206 is too long, not only the first
	}{
		{"Content-Length longer than Content-Range", false, false},
		{"chunked body longer than Content-Range", true, false},
		{"chunked body longer than Content-Range every time", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hits
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n, from := h.add(r), rangeStart(r)
				switch {
				case from < 0:
					sendHalf(w, body, `"v1"`, time.Time{})
				case n > 1 && !tt.always:
					serve(w, r, body, `"v1"`)
				default:
					w.Header().Set("ETag", `"v1"`)
					w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(body)-1, len(body)))
					if !tt.chunked {
						w.Header().Set("Content-Length", strconv.Itoa(len(body)-from+len(junk)))
					}
					w.WriteHeader(http.StatusPartialContent)
					w.Write(body[from:])
					w.Write(junk)
				}
			})
			d := newDownloader(t)
			d.Retries = 2
			why := retryErrors(d)
			res := runOK(t, d, fetch.Request{URL: srv.URL + "/f.bin"})
			if len(*why) < 2 || !errors.Is((*why)[1], fetch.ErrBadResponse) {
				t.Errorf("retries after %v, want the second after ErrBadResponse", *why)
			}
			if !tt.always {
				if res[0].Err != nil {
					t.Fatalf("result %+v, want success", res[0])
				}
				checkFile(t, in(d, "f.bin"), body)
				return
			}
			if !errors.Is(res[0].Err, fetch.ErrBadResponse) {
				t.Errorf("error %v, want ErrBadResponse", res[0].Err)
			}
			if exists(in(d, "f.bin")) {
				t.Error("a file is under its final name although every body ran past its end")
			}
			// The part keeps what the first response sent, and nothing of
			// the responses that overran.
			checkFile(t, in(d, "f.bin.part"), body[:rangeStart(&h.all()[1])])
		})
	}
}

// TestFetchRejectsA206ShorterThanAnnounced plays a retry whose 206 has the
// right Content-Range but a chunked body that ends cleanly before the end
// of the file: no length check of net/http sees it, so fetch must, and
// must not save the short file under its final name.
// A resumed body cut off again is reported with the bytes of the whole
// file so far, the part's and the new ones.
func TestFetchShortBodyCountsThePart(t *testing.T) {
	body := content(2<<20, 23)
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		n, from := h.add(r), rangeStart(r)
		switch {
		case from < 0:
			sendHalf(w, body, `"v1"`, time.Time{})
		case n == 1:
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(body)-1, len(body)))
			w.Header().Set("Content-Length", strconv.Itoa(len(body)-from))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(body[from : from+(len(body)-from)/2])
		default:
			serve(w, r, body, `"v1"`)
		}
	})
	d := newDownloader(t)
	d.Retries = 2
	why := retryErrors(d)
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/f.bin"})
	if res[0].Err != nil {
		t.Fatalf("result %+v, want success", res[0])
	}
	want := fmt.Sprintf("got %d of %d bytes", 3*len(body)/4, len(body))
	if len(*why) != 2 || !errors.Is((*why)[1], fetch.ErrShortBody) || !strings.Contains((*why)[1].Error(), want) {
		t.Errorf("retries after %v, want the second after ErrShortBody saying %q", *why, want)
	}
	checkFile(t, in(d, "f.bin"), body)
}

func TestFetchRejectsA206ShorterThanAnnounced(t *testing.T) {
	body := content(2<<20, 22)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		from := rangeStart(r)
		if from < 0 {
			sendHalf(w, body, `"v1"`, time.Time{})
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(body)-1, len(body)))
		w.WriteHeader(http.StatusPartialContent)
		w.Write(body[from : len(body)-1000]) // chunked, and it ends well
	})
	d := newDownloader(t)
	d.Retries = 1
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/f.bin"})
	if !errors.Is(res[0].Err, fetch.ErrShortBody) || res[0].Attempts != 2 {
		t.Errorf("result %+v, want ErrShortBody after 2 attempts", res[0])
	}
	if exists(in(d, "f.bin")) {
		t.Error("a file 1000 bytes short is under its final name")
	}
}

func TestFetchStartsOverWhenA206IsOfAnotherVersion(t *testing.T) {
	v1, v2 := content(2<<20, 22), content(2<<20, 23)
	t1 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		sidecar  bool      // the part is from an earlier run, else from a first attempt
		etag     string    // v1's ETag, or ""
		modified time.Time // v1's Last-Modified, if it has no ETag
		// The new version's validators in its 206s.
		newETag     string
		newModified time.Time
	}{
		{"other ETag", false, `"v1"`, time.Time{}, `"v2"`, time.Time{}},
		{"no ETag", false, `"v1"`, time.Time{}, "", time.Time{}},
		{"other Last-Modified", false, "", t1, "", t1.Add(time.Hour)},
		{"no Last-Modified", false, "", t1, "", time.Time{}},
		{"other ETag, part from an earlier run", true, `"v1"`, time.Time{}, `"v2"`, time.Time{}},
		{"no ETag, part from an earlier run", true, `"v1"`, time.Time{}, "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hits
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n := h.add(r)
				switch {
				case r.Header.Get("Range") != "":
					// A server that ignores If-Range: v2's bytes.
					r.Header.Del("If-Range")
					if tt.newETag != "" {
						w.Header().Set("ETag", tt.newETag)
					}
					http.ServeContent(w, r, "", tt.newModified, bytes.NewReader(v2))
				case n == 0 && !tt.sidecar:
					sendHalf(w, v1, tt.etag, tt.modified)
				default:
					serve(w, r, v2, `"v2"`)
				}
			})
			d := newDownloader(t)
			d.Retries = 1
			url := srv.URL + "/f.bin"
			if tt.sidecar {
				writePart(t, d, url, "f.bin", v1[:1<<20], tt.etag, len(v1))
			}
			res := runOK(t, d, fetch.Request{URL: url})
			if res[0].Err != nil {
				t.Fatal(res[0].Err)
			}
			checkFile(t, in(d, "f.bin"), v2)
			all := h.all()
			if last := all[len(all)-1]; last.Header.Get("Range") != "" {
				t.Errorf("the last request has Range %q, want one for the whole new version", last.Header.Get("Range"))
			}
		})
	}
}

// Event.Total is -1 while the file's length is unknown: before any
// response, and again once the server has refused to continue a part
// whose length a sidecar gave, until a response tells the new length.
func TestFetchTotalIsUnknownWithoutAResponse(t *testing.T) {
	body := content(2<<20, 25)
	tests := []struct {
		name string
		part bool // a part of body from an earlier run, under a sidecar
		// The answer to a request with Range; one without is a 503.
		ranged http.HandlerFunc
	}{
		{"no part", false, nil},
		{"part refused with 416", true, func(w http.ResponseWriter, r *http.Request) {
			serve(w, r, body[:1000], `"v1"`) // the file shrank: the range starts past its end
		}},
		{"part of another version", true, func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("If-Range") // a server that ignores it: a range of v2
			serve(w, r, content(2<<20, 26), `"v2"`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Range") != "" {
					tt.ranged(w, r)
					return
				}
				w.WriteHeader(http.StatusServiceUnavailable)
			})
			d := newDownloader(t)
			url := srv.URL + "/f.bin"
			first := int64(-1)
			if tt.part {
				writePart(t, d, url, "f.bin", body[:1<<20], `"v1"`, len(body))
				first = int64(len(body))
			}
			var events []fetch.Event
			d.OnEvent = func(e fetch.Event) { events = append(events, e) }
			res := runOK(t, d, fetch.Request{URL: url})
			if se, ok := errors.AsType[*fetch.StatusError](res[0].Err); !ok || se.Code != 503 {
				t.Fatalf("error %v, want status 503 to the request for the whole file", res[0].Err)
			}
			if len(events) != 2 || events[0].Kind != fetch.EventRequest || events[1].Kind != fetch.EventDone {
				t.Fatalf("events %v, want a request and done", events)
			}
			if events[0].Total != first || events[1].Total != -1 {
				t.Errorf("request event says Total %d, done event %d; want %d and -1", events[0].Total, events[1].Total, first)
			}
		})
	}
}

// A request that names its file resumes a part of its URL only if the
// part is under that name; a part under another name is left alone.
func TestFetchResumesANamedRequestOnlyUnderItsName(t *testing.T) {
	body := content(300_000, 27)
	const etag = `"same"`
	tests := []struct {
		name        string
		wantResumed bool
		wantFiles   []string
	}{
		{"big.bin", true, []string{"big.bin"}},
		{"other.bin", false, []string{"big.bin.part", "big.bin.part.meta", "other.bin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hits
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				h.add(r)
				serve(w, r, body, etag)
			})
			d := newDownloader(t)
			url := srv.URL + "/big.bin"
			writePart(t, d, url, "big.bin", body[:100_000], etag, len(body))
			res := runOK(t, d, fetch.Request{URL: url, Name: tt.name})
			if res[0].Err != nil {
				t.Fatal(res[0].Err)
			}
			checkFile(t, in(d, tt.name), body)
			if resumed := rangeStart(&h.all()[0]) == 100_000; resumed != tt.wantResumed {
				t.Errorf("request has Range %q; want the part resumed: %v", h.all()[0].Header.Get("Range"), tt.wantResumed)
			}
			if got := dirFiles(t, d.Dir); !slices.Equal(got, tt.wantFiles) {
				t.Errorf("directory holds %v, want %v", got, tt.wantFiles)
			}
			if !tt.wantResumed {
				checkFile(t, in(d, "big.bin.part"), body[:100_000])
			}
		})
	}
}

// A 206 whose Content-Length is not the length of its Content-Range, even
// 0, contradicts itself: it is a retryable ErrBadResponse, its body is not
// read, and the part is resumed again from where it was.
func TestFetchRejectsA206WhoseLengthsDisagree(t *testing.T) {
	body := content(2<<20, 28)
	tests := []struct {
		name   string
		length func(rest int) int // the 206's Content-Length
	}{
		{"Content-Length 0", func(int) int { return 0 }},
		{"Content-Length one short", func(rest int) int { return rest - 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hits
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n, from := h.add(r), rangeStart(r)
				switch {
				case from < 0:
					sendHalf(w, body, `"v1"`, time.Time{})
				case n == 1:
					length := tt.length(len(body) - from)
					w.Header().Set("ETag", `"v1"`)
					w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(body)-1, len(body)))
					w.Header().Set("Content-Length", strconv.Itoa(length))
					w.WriteHeader(http.StatusPartialContent)
					w.Write(body[from : from+length])
				default:
					serve(w, r, body, `"v1"`)
				}
			})
			d := newDownloader(t)
			d.Retries = 2
			why := retryErrors(d)
			res := runOK(t, d, fetch.Request{URL: srv.URL + "/f.bin"})
			if res[0].Err != nil {
				t.Fatalf("result %+v, want success", res[0])
			}
			if len(*why) != 2 || !errors.Is((*why)[1], fetch.ErrBadResponse) {
				t.Errorf("retries after %v, want the second after ErrBadResponse", *why)
			}
			if all := h.all(); len(all) != 3 || rangeStart(&all[2]) != rangeStart(&all[1]) {
				t.Errorf("%d requests, want 3, the last resuming where the second did", len(all))
			}
			checkFile(t, in(d, "f.bin"), body)
		})
	}
}

// A sidecar is read up to fetch.MaxMeta bytes: one that long resumes its
// part, a longer one is ignored and the download starts over.
func TestFetchReadsSidecarsUpToMaxMeta(t *testing.T) {
	body := content(300_000, 29)
	const etag = `"same"`
	for _, tt := range []struct {
		size        int // of the sidecar, its JSON padded with leading spaces
		wantResumed bool
	}{
		{fetch.MaxMeta, true},
		{fetch.MaxMeta + 1, false},
	} {
		t.Run(strconv.Itoa(tt.size), func(t *testing.T) {
			var h hits
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				h.add(r)
				serve(w, r, body, etag)
			})
			d := newDownloader(t)
			url := srv.URL + "/f.bin"
			writePart(t, d, url, "f.bin", body[:100_000], etag, len(body))
			meta, err := os.ReadFile(in(d, "f.bin.part.meta"))
			if err != nil {
				t.Fatal(err)
			}
			meta = append(bytes.Repeat([]byte(" "), tt.size-len(meta)), meta...)
			if err := os.WriteFile(in(d, "f.bin.part.meta"), meta, 0o644); err != nil {
				t.Fatal(err)
			}
			res := runOK(t, d, fetch.Request{URL: url})
			if res[0].Err != nil {
				t.Fatal(res[0].Err)
			}
			checkFile(t, in(d, "f.bin"), body)
			if resumed := rangeStart(&h.all()[0]) == 100_000; resumed != tt.wantResumed {
				t.Errorf("request has Range %q; want the part resumed: %v", h.all()[0].Header.Get("Range"), tt.wantResumed)
			}
		})
	}
}

// retryErrors collects the errors after which d retries.
func retryErrors(d *fetch.Downloader) *[]error {
	var why []error
	d.OnEvent = func(e fetch.Event) {
		if e.Kind == fetch.EventRetry {
			why = append(why, e.Err)
		}
	}
	return &why
}

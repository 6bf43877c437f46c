package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/fetch"
)

func TestFetchRetries503ThenSucceeds(t *testing.T) {
	body := content(5000, 1)
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if h.add(r) < 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		serve(w, r, body, "")
	})
	d := newDownloader(t)
	d.Retries = 3
	var delays []time.Duration
	d.OnEvent = func(e fetch.Event) {
		if e.Kind == fetch.EventRetry {
			delays = append(delays, e.Delay)
			if se, ok := errors.AsType[*fetch.StatusError](e.Err); !ok || se.Code != 503 {
				t.Errorf("retry after %v, want a StatusError with code 503", e.Err)
			}
		}
	}
	res, took, err := run(t, d, fetch.Request{URL: srv.URL + "/f"})
	if err != nil || res[0].Err != nil {
		t.Fatalf("Fetch: %v, %v", err, res[0].Err)
	}
	if res[0].Attempts != 3 || len(delays) != 2 {
		t.Fatalf("%d attempts and %d retry events, want 3 and 2", res[0].Attempts, len(delays))
	}
	var total time.Duration
	for n, delay := range delays {
		if limit := fetch.BackoffBase << n; delay < 0 || delay > limit {
			t.Errorf("wait before retry %d = %v, want between 0 and %v", n+1, delay, limit)
		}
		total += delay
	}
	if took != total {
		t.Errorf("Fetch took %v of loop time, want the %v of the waits", took, total)
	}
	checkFile(t, res[0].Path, body)
}

func TestFetchHonoursRetryAfter(t *testing.T) {
	date := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		date       string // the response's Date header, or "" for the server's
		retryAfter string
		want       time.Duration
	}{
		{"seconds", "", "7", 7 * time.Second},
		{"the longest wait", "", "300", 5 * time.Minute},
		{"http date", date.Format(http.TimeFormat), date.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
	}
	for _, tt := range tests {
		for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
			t.Run(tt.name+"/"+strconv.Itoa(code), func(t *testing.T) {
				var h hits
				srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
					if h.add(r) == 0 {
						if tt.date != "" {
							w.Header().Set("Date", tt.date)
						}
						w.Header().Set("Retry-After", tt.retryAfter)
						w.WriteHeader(code)
						return
					}
					serve(w, r, []byte("ok"), "")
				})
				d := newDownloader(t)
				d.Retries = 1
				var delay time.Duration
				d.OnEvent = func(e fetch.Event) {
					if e.Kind == fetch.EventRetry {
						delay = e.Delay
					}
				}
				res, took, err := run(t, d, fetch.Request{URL: srv.URL + "/f"})
				if err != nil || res[0].Err != nil {
					t.Fatalf("Fetch: %v, %v", err, res[0].Err)
				}
				if delay != tt.want || took != tt.want {
					t.Errorf("waited %v (loop time %v), want the %v that Retry-After asked for", delay, took, tt.want)
				}
			})
		}
	}
}

func TestFetchDoesNotRetryFinalErrors(t *testing.T) {
	// The caller's Clients keep no connection open: none may outlive run.
	noKeepAlive := &http.Transport{DisableKeepAlives: true}
	redirectLoop := func(w http.ResponseWriter, r *http.Request) {
		next := map[string]string{"/a": "/b", "/b": "/c", "/c": "/a"}[r.URL.Path]
		http.Redirect(w, r, next, http.StatusFound)
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(error) bool
		client  *http.Client // Downloader.Client, or nil
	}{
		{
			"404",
			func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			func(err error) bool {
				se, ok := errors.AsType[*fetch.StatusError](err)
				return ok && se.Code == 404
			},
			nil,
		},
		{
			"redirect loop",
			redirectLoop,
			func(err error) bool { return errors.Is(err, fetch.ErrRedirectLoop) },
			nil,
		},
		{
			// A Client without a redirect policy gets Fetch's.
			"redirect loop, the caller's Client",
			redirectLoop,
			func(err error) bool { return errors.Is(err, fetch.ErrRedirectLoop) },
			&http.Client{Transport: noKeepAlive},
		},
		{
			// A Client with a redirect policy keeps it: this one stops at
			// the first redirect, which is then the response.
			"the caller's redirect policy",
			redirectLoop,
			func(err error) bool {
				se, ok := errors.AsType[*fetch.StatusError](err)
				return ok && se.Code == http.StatusFound
			},
			&http.Client{
				Transport:     noKeepAlive,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			},
		},
		{
			"endless redirects",
			func(w http.ResponseWriter, r *http.Request) {
				n, _ := strconv.Atoi(r.URL.Query().Get("n"))
				http.Redirect(w, r, fmt.Sprintf("/a?n=%d", n+1), http.StatusMovedPermanently)
			},
			func(err error) bool { return errors.Is(err, fetch.ErrTooManyRedirects) },
			nil,
		},
		{
			"redirect to a file URL",
			func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
			},
			func(err error) bool {
				return errors.Is(err, fetch.ErrRedirectScheme) && strings.Contains(err.Error(), `"file"`)
			},
			nil,
		},
		{
			"redirect to an ftp URL, relayed",
			func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/a" {
					http.Redirect(w, r, "/b", http.StatusMovedPermanently)
					return
				}
				http.Redirect(w, r, "ftp://127.0.0.1/x", http.StatusTemporaryRedirect)
			},
			func(err error) bool { return errors.Is(err, fetch.ErrRedirectScheme) },
			nil,
		},
		{
			"server too busy for too long",
			func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", "86400")
				w.WriteHeader(http.StatusServiceUnavailable)
			},
			func(err error) bool {
				se, ok := errors.AsType[*fetch.StatusError](err)
				return ok && se.Code == 503 && se.RetryAfter == 24*time.Hour
			},
			nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.handler)
			d := newDownloader(t)
			d.Retries, d.Client = 3, tt.client
			res, _, err := run(t, d, fetch.Request{URL: srv.URL + "/a"})
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(res[0].Err) {
				t.Errorf("error %v is not the one expected", res[0].Err)
			}
			if res[0].Attempts != 1 {
				t.Errorf("%d attempts, want 1: the error is final", res[0].Attempts)
			}
			if files := dirFiles(t, d.Dir); len(files) != 0 {
				t.Errorf("a failed download left %v", files)
			}
		})
	}
}

func TestFetchResumesAfterConnectionReset(t *testing.T) {
	body := content(200_000, 2)
	const etag = `"v1"`
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if h.add(r) > 0 {
			serve(w, r, body, etag)
			return
		}
		// Send half the body, then drop the connection.
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: %s\r\n\r\n", len(body), etag)
		buf.Write(body[:len(body)/2])
		buf.Flush()
	})
	d := newDownloader(t)
	d.Retries = 1
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/f"})
	if res[0].Err != nil || res[0].Attempts != 2 {
		t.Fatalf("result %+v, want success at the second attempt", res[0])
	}
	checkFile(t, res[0].Path, body)
	second := h.all()[1]
	var from int
	if _, err := fmt.Sscanf(second.Header.Get("Range"), "bytes=%d-", &from); err != nil || from <= 0 || from > len(body)/2 {
		t.Errorf("second request has Range %q, want bytes=N- for the N bytes received", second.Header.Get("Range"))
	}
	if got := second.Header.Get("If-Range"); got != etag {
		t.Errorf("second request has If-Range %q, want %q", got, etag)
	}
}

func TestFetchShortBodyIsAnError(t *testing.T) {
	body := content(1000, 3)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		w.Write(body[:600])
	})
	d := newDownloader(t)
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/short.bin"})
	if !errors.Is(res[0].Err, fetch.ErrShortBody) {
		t.Fatalf("error %v, want ErrShortBody", res[0].Err)
	}
	if exists(in(d, "short.bin")) {
		t.Error("a short body was saved under its final name")
	}
	checkFile(t, in(d, "short.bin.part"), body[:600])
}

func TestFetchStalledBodyIsRetried(t *testing.T) {
	body := content(1000, 4)
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if h.add(r) > 0 {
			serve(w, r, body, `"e"`)
			return
		}
		w.Header().Set("Content-Length", "1000")
		w.Header().Set("ETag", `"e"`)
		w.Write(body[:100])
		http.NewResponseController(w).Flush()
		<-r.Context().Done() // stall until the client gives up
	})
	d := newDownloader(t)
	d.Retries, d.Timeout = 1, 100*time.Millisecond
	var why error
	d.OnEvent = func(e fetch.Event) {
		if e.Kind == fetch.EventRetry {
			why = e.Err
		}
	}
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/f"})
	if !errors.Is(why, fetch.ErrStalled) {
		t.Errorf("first attempt failed with %v, want ErrStalled", why)
	}
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	checkFile(t, res[0].Path, body)
	if got := h.all()[1].Header.Get("Range"); got != "bytes=100-" {
		t.Errorf("retry has Range %q, want bytes=100-", got)
	}
}

func TestFetchGivesUpAfterRetries(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	for _, tt := range []struct {
		retries int
		seeded  bool // else the Downloader draws its jitter from a source of its own
	}{{0, true}, {2, true}, {2, false}} {
		retries := tt.retries
		d := newDownloader(t)
		if !tt.seeded {
			d = &fetch.Downloader{Dir: t.TempDir()}
		}
		d.Retries = retries
		res := runOK(t, d, fetch.Request{URL: srv.URL + "/f"})
		if se, ok := errors.AsType[*fetch.StatusError](res[0].Err); !ok || se.Code != 502 {
			t.Errorf("Retries %d: error %v, want status 502", retries, res[0].Err)
		}
		if res[0].Attempts != retries+1 {
			t.Errorf("Retries %d: %d attempts, want %d", retries, res[0].Attempts, retries+1)
		}
	}
}

func TestBackoff(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for n := 1; n <= 40; n++ {
		limit := min(fetch.BackoffBase<<min(n-1, 20), 30*time.Second)
		for range 100 {
			if d := fetch.Backoff(n, errors.New("x"), rnd); d < 0 || d > limit {
				t.Fatalf("backoff before retry %d = %v, want between 0 and %v", n, d, limit)
			}
		}
	}
	se := &fetch.StatusError{Code: 429, RetryAfter: 42 * time.Second}
	if d := fetch.Backoff(1, se, rnd); d != 42*time.Second {
		t.Errorf("backoff after Retry-After 42s = %v", d)
	}
	// The limit is one of the waits drawn: a source at its largest draws
	// it, also after a status that asked for no wait of its own.
	top := rand.New(topSource{})
	for n := 1; n <= 40; n++ {
		limit := min(fetch.BackoffBase<<min(n-1, 20), 30*time.Second)
		for _, err := range []error{errors.New("x"), &fetch.StatusError{Code: 503}} {
			if d := fetch.Backoff(n, err, top); d != limit {
				t.Fatalf("backoff before retry %d after %v, drawn at the top, = %v, want %v", n, err, d, limit)
			}
		}
	}
}

// A topSource is a random source that always draws its largest value.
type topSource struct{}

func (topSource) Uint64() uint64 { return math.MaxUint64 }

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2030, 5, 6, 7, 8, 9, 0, time.UTC)
	tests := []struct {
		retryAfter, date string
		want             time.Duration
	}{
		{"", "", 0},
		{"120", "", 2 * time.Minute},
		{" 5 ", "", 5 * time.Second},
		{"-3", "", 0},
		{"soon", "", 0},
		{now.Add(time.Hour).Format(http.TimeFormat), "", time.Hour},
		{now.Add(-time.Hour).Format(http.TimeFormat), "", 0},
		{now.Add(time.Hour).Format(http.TimeFormat), now.Add(30 * time.Minute).Format(http.TimeFormat), 30 * time.Minute},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.retryAfter != "" {
			h.Set("Retry-After", tt.retryAfter)
		}
		if tt.date != "" {
			h.Set("Date", tt.date)
		}
		if got := fetch.ParseRetryAfter(h, now); got != tt.want {
			t.Errorf("Retry-After %q, Date %q: %v, want %v", tt.retryAfter, tt.date, got, tt.want)
		}
	}
}

// Elapsed runs from a download's first attempt to its end on the loop's
// clock, whenever the loop started: a download skipped before any attempt
// took no time.
func TestResultElapsed(t *testing.T) {
	var h hits
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a" && h.add(r) == 0 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		serve(w, r, []byte("ok"), "")
	})
	d := newDownloader(t)
	d.Retries, d.Continue = 1, true
	if err := os.WriteFile(in(d, "b"), []byte("done before"), 0o644); err != nil {
		t.Fatal(err)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent()) // as run does
	res, err := asyncio.Run(func(ctx context.Context) ([]fetch.Result, error) {
		asyncio.Sleep(ctx, 5*time.Second) // the downloads start at 5s
		return d.Fetch(ctx, []fetch.Request{
			{URL: srv.URL + "/a"},
			{URL: srv.URL + "/b", Name: "b"},
			{URL: srv.URL + "/c"},
		})
	}, asyncio.WithVirtualClock())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		attempts int
		elapsed  time.Duration
	}{{2, 7 * time.Second}, {0, 0}, {1, 0}}
	for i, w := range want {
		if res[i].Err != nil || res[i].Attempts != w.attempts || res[i].Elapsed != w.elapsed {
			t.Errorf("result %d: %d attempts in %v (%v), want %d in %v", i, res[i].Attempts, res[i].Elapsed, res[i].Err, w.attempts, w.elapsed)
		}
	}
}

// A StatusError reads as its status line, made from the code when the
// server sent none, and the wait it asked for; 408, 429 and every 5xx
// from 500 on are temporary.
func TestStatusError(t *testing.T) {
	tests := []struct {
		err       fetch.StatusError
		text      string
		temporary bool
	}{
		{fetch.StatusError{Code: 404, Status: "404 Gone Fishing"}, "fetch: HTTP 404 Gone Fishing", false},
		{fetch.StatusError{Code: 404}, "fetch: HTTP 404 Not Found", false},
		{fetch.StatusError{Code: 503, RetryAfter: 7 * time.Second}, "fetch: HTTP 503 Service Unavailable (server asks to retry after 7s)", true},
		{fetch.StatusError{Code: 408}, "fetch: HTTP 408 Request Timeout", true},
		{fetch.StatusError{Code: 429}, "fetch: HTTP 429 Too Many Requests", true},
		{fetch.StatusError{Code: 451}, "fetch: HTTP 451 Unavailable For Legal Reasons", false},
		{fetch.StatusError{Code: 500}, "fetch: HTTP 500 Internal Server Error", true},
		{fetch.StatusError{Code: 511}, "fetch: HTTP 511 Network Authentication Required", true},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.text {
			t.Errorf("%+v: Error() = %q, want %q", tt.err, got, tt.text)
		}
		if got := tt.err.Temporary(); got != tt.temporary {
			t.Errorf("%+v: Temporary() = %v, want %v", tt.err, got, tt.temporary)
		}
	}
}

// A connection that breaks before the response's headers, or in a chunked
// body, whose length nothing announced, is a network failure: the
// download is retried, and the cut-off body is not taken for the file.
// One that breaks before a byte of the body leaves nothing to resume:
// the retry asks for the whole file.
func TestFetchRetriesBrokenConnections(t *testing.T) {
	body := content(50_000, 24)
	tests := []struct {
		name string
		cut  func(buf io.Writer) // what the server sends before it hangs up
		want error               // the error of the first attempt
	}{
		{"before the headers", func(io.Writer) {}, io.EOF},
		{"in a chunked body", func(buf io.Writer) {
			io.WriteString(buf, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
			fmt.Fprintf(buf, "%x\r\n%s\r\n", 20_000, body[:20_000])
		}, io.ErrUnexpectedEOF},
		{"after the headers", func(buf io.Writer) {
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nETag: \"v1\"\r\n\r\n", len(body))
		}, fetch.ErrShortBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hits
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if h.add(r) > 0 {
					serve(w, r, body, "")
					return
				}
				conn, buf, err := http.NewResponseController(w).Hijack()
				if err != nil {
					t.Error(err)
					return
				}
				defer conn.Close()
				tt.cut(buf)
				buf.Flush()
			})
			d := newDownloader(t)
			d.Retries = 1
			var why error
			d.OnEvent = func(e fetch.Event) {
				if e.Kind == fetch.EventRetry {
					why = e.Err
				}
			}
			res := runOK(t, d, fetch.Request{URL: srv.URL + "/f.bin"})
			if res[0].Err != nil || res[0].Attempts != 2 {
				t.Fatalf("result %+v, want success at the second attempt", res[0])
			}
			if !errors.Is(why, tt.want) {
				t.Errorf("retried after %v, want %v", why, tt.want)
			}
			if got := h.all()[1].Header.Get("Range"); got != "" {
				t.Errorf("retry has Range %q, want none", got)
			}
			checkFile(t, res[0].Path, body)
		})
	}
}

// Only the cancellation of Fetch's own context is final: an error of the
// Client that merely wraps context.Canceled (a proxy or transport giving
// up on the request for its own reasons) is retried like any other
// network error.
func TestFetchRetriesAClientsOwnCancellation(t *testing.T) {
	calls := 0
	d := newDownloader(t)
	d.Retries = 1
	d.Client = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		if calls++; calls == 1 {
			return nil, fmt.Errorf("the proxy gave up: %w", context.Canceled)
		}
		return respond(r, http.StatusOK, strings.NewReader("ok"), 2), nil
	})}
	res := runOK(t, d, fetch.Request{URL: "http://h.test/f"})
	if res[0].Err != nil || res[0].Attempts != 2 {
		t.Fatalf("result %+v, want success at the second attempt", res[0])
	}
	checkFile(t, res[0].Path, []byte("ok"))
}

// emptyReads is a body that returns no byte, and no error, on each read,
// until its request's context ends, or, if it never does, until giveUp.
type emptyReads struct {
	ctx    context.Context
	giveUp <-chan time.Time
}

func (b emptyReads) Read([]byte) (int, error) {
	select {
	case <-b.ctx.Done():
		return 0, b.ctx.Err()
	case <-b.giveUp:
		return 0, io.ErrUnexpectedEOF
	case <-time.After(time.Millisecond): // a read every millisecond
		return 0, nil
	}
}

// A body whose reads go on returning nothing is stalled as much as one
// whose reads block: no byte arrives.
func TestFetchEmptyReadsStall(t *testing.T) {
	calls := 0
	d := newDownloader(t)
	d.Retries, d.Timeout = 1, 100*time.Millisecond
	d.Client = &http.Client{Transport: roundTrip(func(r *http.Request) (*http.Response, error) {
		if calls++; calls == 1 {
			return respond(r, http.StatusOK, emptyReads{r.Context(), time.After(5 * time.Second)}, 10), nil
		}
		return respond(r, http.StatusOK, strings.NewReader("0123456789"), 10), nil
	})}
	var why error
	d.OnEvent = func(e fetch.Event) {
		if e.Kind == fetch.EventRetry {
			why = e.Err
		}
	}
	res := runOK(t, d, fetch.Request{URL: "http://h.test/f"})
	if !errors.Is(why, fetch.ErrStalled) {
		t.Errorf("first attempt failed with %v, want ErrStalled", why)
	}
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	checkFile(t, res[0].Path, []byte("0123456789"))
}

// Up to ten redirects in a row are followed, as the documentation says; the
// eleventh is ErrTooManyRedirects.
func TestFetchFollowsTenRedirects(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		var hop int
		fmt.Sscanf(r.URL.Path, "/hop%d", &hop)
		if hop > 0 {
			http.Redirect(w, r, fmt.Sprintf("/hop%d", hop-1), http.StatusFound)
			return
		}
		serve(w, r, []byte("arrived"), "")
	})
	for _, c := range []struct {
		hops int
		ok   bool
	}{{10, true}, {11, false}} {
		d := newDownloader(t)
		res := runOK(t, d, fetch.Request{URL: fmt.Sprintf("%s/hop%d", srv.URL, c.hops), Name: "f"})
		if c.ok && res[0].Err != nil || !c.ok && !errors.Is(res[0].Err, fetch.ErrTooManyRedirects) {
			t.Errorf("%d redirects: %v, want success %v", c.hops, res[0].Err, c.ok)
		}
	}
}

// An EventRetry's Written is what the next attempt resumes from, which
// its EventRequest repeats: the bytes a part keeps that the server's
// validators let it resume, 0 for a part that starts over, whether the
// validators are missing or an answer within the attempt made it drop the
// part (a 206 of another range here, then a failure).
func TestRetryEventTellsWhatTheNextAttemptResumes(t *testing.T) {
	body := content(4000, 25)
	tests := []struct {
		name   string
		etag   string
		second func(w http.ResponseWriter, r *http.Request) // the answer to the second request
		want   int64
	}{
		{"resumable part", `"v1"`, nil, 2000},
		{"no validators", "", nil, 0},
		{"part dropped within the attempt", `"v1"`, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Content-Range", fmt.Sprintf("bytes 1-%d/%d", len(body)-1, len(body)))
			w.WriteHeader(http.StatusPartialContent) // not the range asked for: the part goes
			w.Write(body[1:])
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h hits
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				switch n := h.add(r); {
				case n == 0:
					sendHalf(w, body, tt.etag, time.Time{})
				case n == 1 && tt.second != nil:
					tt.second(w, r)
				case n == 2 && tt.second != nil:
					w.WriteHeader(http.StatusServiceUnavailable)
				default:
					serve(w, r, body, tt.etag)
				}
			})
			d := newDownloader(t)
			d.Retries = 2
			var retries, requests []int64
			d.OnEvent = func(e fetch.Event) {
				switch e.Kind {
				case fetch.EventRetry:
					retries = append(retries, e.Written)
				case fetch.EventRequest:
					requests = append(requests, e.Written)
				}
			}
			res := runOK(t, d, fetch.Request{URL: srv.URL + "/f.bin"})
			if res[0].Err != nil {
				t.Fatal(res[0].Err)
			}
			checkFile(t, res[0].Path, body)
			if len(retries) == 0 || retries[len(retries)-1] != tt.want {
				t.Errorf("retry events say the part keeps %v bytes, want the last %d", retries, tt.want)
			}
			for i, w := range retries {
				if i+1 < len(requests) && requests[i+1] != w {
					t.Errorf("retry %d says %d bytes, the request after it %d", i+1, w, requests[i+1])
				}
			}
		})
	}
}

package fetch_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goasyncio/asyncio/fetch"
)

// FuzzRetry decodes bytes into a script for a test server, one answer per
// request: the file, whole or from the Range asked for; a cut-off body;
// a dropped connection; statuses 429, 408 and 5xx with and without
// Retry-After, and final ones such as 404 and 416; 206 answers whose
// Content-Range or length is wrong, that ignore If-Range, run past the
// end of the file or end short of it; and changes of the file, which
// change its validators. It downloads the file with a Downloader on a
// virtual clock and checks every observable result against a reference
// model of the client written from the package's documentation: the
// requests made and the Range and If-Range of each, the attempts, the
// waits between them (the Retry-After asked for, or a jittered backoff
// within its bound) and the loop time they take, the events' byte counts,
// and the outcome: the file, byte for byte the content the model
// assembled, which is one whole version of the server's file; or the
// error's kind, no file under the final name, and a part holding what the
// model says it keeps. Run a longer search with:
//
//	go test -run '^$' -fuzz FuzzRetry -fuzztime 2m ./fetch
func FuzzRetry(f *testing.F) {
	// The first byte is retries (b%5) and the server's validators
	// (b/5%4: a strong ETag, a weak ETag and Last-Modified, Last-Modified
	// only, none); each byte after it is an answer, param<<4 | action.
	a := func(action, param int) byte { return byte(param<<4 | action) }
	seeds := [][]byte{
		{3},               // the file at once
		{3, a(actCut, 8)}, // cut off, resumed
		{3, a(actCut, 8), a(actCut, 8), a(actCut, 0)}, // cut off three times, resumed each time
		{2 + 10, a(actCut, 8)},                        // Last-Modified only: resumed by date
		{2 + 5, a(actCut, 8)},                         // a weak ETag: resumed by Last-Modified
		{2 + 15, a(actCut, 8)},                        // no validators: started over
		{4, a(actChunkedCut, 5)},                      // cut off without a length: started over
		{4, a(actTemporary, 0), a(actTemporary, 5), a(actTemporary, 15), a(actTemporary, 10)},   // 500, 503 after 2s, 408 after a date, 429 too long
		{4, a(actRetryAfter, 0), a(actRetryAfter, 1), a(actRetryAfter, 2), a(actRetryAfter, 3)}, // Retry-After malformed, 300s, 0, past
		{1, a(actTemporary, 1), a(actTemporary, 1)},                                             // gives up after the retries
		{3, a(actFinal, 0)}, {3, a(actFinal, 1)}, {3, a(actCut, 4), a(actFinal, 1)}, // 404; 416; 416 to a Range: started over
		{3, a(actDrop, 0)}, {3, a(actCut, 4), a(actDrop, 0)}, // dropped before the headers
		{4, a(actCut, 8), a(actBadRange, 0), a(actCut, 8), a(actBadRange, 1), a(actBadRange, 2)}, // wrong Content-Range: started over
		{3, a(actCut, 8), a(actBadRange, 3)},                                                     // Content-Length disagrees with Content-Range
		{3, a(actCut, 8), a(actNewVersion, 0)},                                                   // the file changed, If-Range ignored
		{2 + 10, a(actCut, 8), a(actNewVersion, 0)}, {2 + 5, a(actCut, 8), a(actNewVersion, 0)},  // the same, told by Last-Modified
		{3, a(actCut, 8), a(actChange, 0)},                                // the file changed, If-Range honoured
		{3, a(actIgnoreIfRange, 0), a(actCut, 6), a(actIgnoreIfRange, 0)}, // If-Range ignored, same file
		{3, a(actCut, 8), a(actOverrun, 0), a(actOverrun, 0)},             // a 206 runs past the end
		{3, a(actOverrun, 0)},                                             // a 206 to a request without Range
		{3, a(actCut, 8), a(actShort, 3), a(actShort, 15)},                // a 206 ends short
		{3, a(actFull, 0), a(actCut, 8), a(actFull, 0)},                   // a 200 to a Range
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || len(b) > 24 {
			return
		}
		checkRetryRun(t, int(b[0])%5, int(b[0])/5%4, decodeAnswers(b[1:]))
	})
}

// Actions of the scripted server; an answer is param<<4 | action.
const (
	actServe         = iota // the file, honouring Range when If-Range matches
	actFull                 // 200 with the whole file, whatever the request
	actCut                  // as actServe, but the connection drops after param/16 of the body
	actChunkedCut           // 200, chunked, dropping after param/16 of the file
	actTemporary            // 500, 503, 429 or 408 (param%4); Retry-After none, 2, 301 or a date 3s on (param/4)
	actFinal                // 404, 416, 403 or 400 (param%4)
	actDrop                 // the connection drops before any header
	actBadRange             // a 206 of the rest whose Content-Range is off (param%4: start, total, form) or Content-Length
	actNewVersion           // the file changes; answered as actIgnoreIfRange
	actIgnoreIfRange        // a 206 from any Range, whatever If-Range says
	actOverrun              // a chunked 206 of the rest and junk after it; without Range, a 206 of the whole file
	actShort                // a chunked 206 that ends cleanly param+1 bytes short; without Range, as actServe
	actRetryAfter           // 503 with Retry-After "soon", "300", "0" or a date past (param%4)
	actChange               // the file changes; answered as actServe
	// 14 and 15 are actServe.
)

type answer struct{ action, param int }

func decodeAnswers(b []byte) []answer {
	var as []answer
	for _, c := range b {
		as = append(as, answer{int(c & 15), int(c >> 4)})
	}
	return as
}

// The server's clock, for Date and Last-Modified.
var serverDate = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// A fileServer is the scripted server's state. The test server and the
// model each run one, from the same script.
type fileServer struct {
	validators int // 0 strong ETag, 1 weak ETag and Last-Modified, 2 Last-Modified, 3 none
	version    int
	script     []answer
	next       int
}

// versionBody returns version v of the file. Its length changes with
// every other version, so that only the validators tell some versions
// apart.
func versionBody(v int) []byte { return content(1500+500*(v/2), uint64(100+v)) }

func (s *fileServer) body() []byte { return versionBody(s.version) }

// validator returns what If-Range must be for the server to honour Range.
func (s *fileServer) validator() string {
	switch s.validators {
	case 0:
		return fmt.Sprintf(`"v%d"`, s.version)
	case 1, 2:
		return s.lastModified()
	}
	return ""
}

func (s *fileServer) lastModified() string {
	return serverDate.Add(-time.Duration(100-s.version) * time.Hour).Format(http.TimeFormat)
}

// setValidators adds the file's validators to h.
func (s *fileServer) setValidators(h http.Header) {
	switch s.validators {
	case 0:
		h.Set("ETag", fmt.Sprintf(`"v%d"`, s.version))
	case 1:
		h.Set("ETag", fmt.Sprintf(`W/"v%d"`, s.version))
		h.Set("Last-Modified", s.lastModified())
	case 2:
		h.Set("Last-Modified", s.lastModified())
	}
}

// A reply is one answer as it goes on the wire.
type reply struct {
	status    int
	header    http.Header
	body      []byte // the bytes sent
	length    int    // Content-Length, or -1 for a chunked body
	drop      bool   // the connection drops after body, without the end of a chunked body
	noHeaders bool   // the connection drops before the status line
}

// reply returns the answer to the next request, which has the Range and
// If-Range headers given ("" if none).
func (s *fileServer) reply(rng, ifRange string) reply {
	a := answer{}
	if s.next < len(s.script) {
		a = s.script[s.next]
		s.next++
	}
	from := -1
	if v, ok := strings.CutPrefix(rng, "bytes="); ok {
		from, _ = strconv.Atoi(strings.TrimSuffix(v, "-"))
	}
	switch a.action {
	case actFull:
		return s.whole()
	case actCut:
		r := s.serve(from, ifRange)
		if r.status == http.StatusOK || r.status == http.StatusPartialContent {
			r.body, r.drop = r.body[:a.param*len(r.body)/16], true
		}
		return r
	case actChunkedCut:
		r := s.whole()
		r.body, r.length, r.drop = r.body[:a.param*len(r.body)/16], -1, true
		return r
	case actTemporary:
		return s.temporary([]int{500, 503, 429, 408}[a.param%4], []string{"", "2", "301", "+3s"}[a.param/4])
	case actRetryAfter:
		return s.temporary(503, []string{"soon", "300", "0", "-10s"}[a.param%4])
	case actFinal:
		return s.status([]int{404, 416, 403, 400}[a.param%4])
	case actDrop:
		return reply{noHeaders: true}
	case actBadRange:
		return s.badRange(max(from, 0), a.param%4)
	case actNewVersion:
		s.version++
		return s.ignoreIfRange(from)
	case actIgnoreIfRange:
		return s.ignoreIfRange(from)
	case actOverrun:
		return s.overrun(from)
	case actShort:
		if r := s.ignoreIfRange(from); r.status == http.StatusPartialContent {
			r.body, r.length = r.body[:len(r.body)-min(a.param+1, len(r.body))], -1
			return r
		}
		return s.serve(from, ifRange)
	case actChange:
		s.version++
	}
	return s.serve(from, ifRange)
}

// serve answers as a file server does: the rest of the file from a Range
// whose If-Range is the file's validator, else the whole file.
func (s *fileServer) serve(from int, ifRange string) reply {
	if from < 0 || ifRange == "" || ifRange != s.validator() {
		return s.whole()
	}
	return s.partial(from)
}

func (s *fileServer) ignoreIfRange(from int) reply {
	if from < 0 {
		return s.whole()
	}
	return s.partial(from)
}

func (s *fileServer) whole() reply {
	r := reply{status: http.StatusOK, header: http.Header{}, body: s.body(), length: len(s.body())}
	s.setValidators(r.header)
	return r
}

// partial answers a Range from from: 206 with the rest of the file, or 416.
func (s *fileServer) partial(from int) reply {
	body := s.body()
	if from >= len(body) {
		r := s.status(http.StatusRequestedRangeNotSatisfiable)
		r.header.Set("Content-Range", fmt.Sprintf("bytes */%d", len(body)))
		return r
	}
	r := reply{status: http.StatusPartialContent, header: http.Header{}, body: body[from:], length: len(body) - from}
	s.setValidators(r.header)
	r.header.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, len(body)-1, len(body)))
	return r
}

func (s *fileServer) status(code int) reply {
	return reply{status: code, header: http.Header{}}
}

// temporary answers with code and a Retry-After: seconds, or a date
// relative to the Date header, as "+3s" or "-10s".
func (s *fileServer) temporary(code int, retryAfter string) reply {
	r := s.status(code)
	if d, err := time.ParseDuration(retryAfter); err == nil && strings.ContainsAny(retryAfter[:1], "+-") {
		r.header.Set("Date", serverDate.Format(http.TimeFormat))
		retryAfter = serverDate.Add(d).Format(http.TimeFormat)
	}
	if retryAfter != "" {
		r.header.Set("Retry-After", retryAfter)
	}
	return r
}

// badRange answers with a 206 of the rest of the file from from whose
// headers are wrong, as kind says.
func (s *fileServer) badRange(from, kind int) reply {
	body := s.body()
	from = min(from, len(body)-1)
	r := reply{status: http.StatusPartialContent, header: http.Header{}, body: body[from:], length: len(body) - from}
	s.setValidators(r.header)
	cr := fmt.Sprintf("bytes %d-%d/%d", from, len(body)-1, len(body))
	switch kind {
	case 0:
		cr = fmt.Sprintf("bytes %d-%d/%d", from+1, len(body)-1, len(body))
	case 1:
		cr = fmt.Sprintf("bytes %d-%d/%d", from, len(body)-1, len(body)+1)
	case 2:
		cr = fmt.Sprintf("bytes */%d", len(body))
	case 3:
		r.length++ // one byte more than Content-Range says; the last never comes
		r.drop = true
	}
	r.header.Set("Content-Range", cr)
	return r
}

// overrun answers a Range with a chunked 206 of the rest of the file and
// junk after it, and a request without Range with a 206 of the whole file.
func (s *fileServer) overrun(from int) reply {
	if from < 0 {
		return s.partial(0)
	}
	r := s.partial(from)
	if r.status == http.StatusPartialContent {
		r.body, r.length = append(slices.Clone(r.body), junk...), -1
	}
	return r
}

// write sends r on w.
func (r reply) write(w io.Writer) {
	if r.noHeaders {
		return
	}
	fmt.Fprintf(w, "HTTP/1.1 %d %s\r\n", r.status, http.StatusText(r.status))
	h := r.header.Clone()
	if r.length >= 0 {
		h.Set("Content-Length", strconv.Itoa(r.length))
	} else {
		h.Set("Transfer-Encoding", "chunked")
	}
	h.Set("Connection", "close")
	h.Write(w)
	io.WriteString(w, "\r\n")
	switch {
	case r.length >= 0:
		w.Write(r.body)
	default:
		if len(r.body) > 0 {
			fmt.Fprintf(w, "%x\r\n%s\r\n", len(r.body), r.body)
		}
		if !r.drop {
			io.WriteString(w, "0\r\n\r\n")
		}
	}
}

// The model of the client: what the documentation says a Downloader does
// with each answer.

// A modelError is the kind of a failed attempt's error.
type modelError struct {
	kind       string // "status", "short", "bad" or "net"
	code       int
	retryAfter time.Duration
}

func (e *modelError) String() string {
	if e == nil {
		return "success"
	}
	if e.kind == "status" {
		return fmt.Sprintf("status %d (Retry-After %v)", e.code, e.retryAfter)
	}
	return e.kind
}

// retryable: network errors, short bodies, malformed responses, and
// statuses 408, 429 and 5xx unless they ask for more than 5 minutes.
func (e *modelError) retryable() bool {
	if e.kind != "status" {
		return true
	}
	return (e.code == 408 || e.code == 429 || e.code >= 500) && e.retryAfter <= 5*time.Minute
}

// A modelRetry is what the model expects of an EventRetry.
type modelRetry struct {
	retryAfter time.Duration // the exact wait, if > 0
	n          int           // the retry's number, for the backoff's bound
	written    int64         // what the next attempt resumes from
}

type modelClient struct {
	srv     fileServer
	retries int

	// The part: what the next attempt may resume.
	offset        int
	etag, lastMod string
	total         int
	disk          []byte // NAME.part, if a body began
	diskExists    bool

	attempts  int
	requests  []string // "Range|If-Range" of each request
	retryLog  []modelRetry
	responses []string // "written/total" of each EventResponse
	err       *modelError
	file      []byte
}

func (m *modelClient) ifRange() string {
	if m.etag != "" && !strings.HasPrefix(m.etag, "W/") {
		return m.etag
	}
	return m.lastMod
}

func (m *modelClient) resumable() bool {
	return m.offset > 0 && m.total > m.offset && m.ifRange() != ""
}

func (m *modelClient) kept() int {
	if m.resumable() {
		return m.offset
	}
	return 0
}

func (m *modelClient) restart() { m.offset, m.etag, m.lastMod, m.total = 0, "", "", -1 }

func (m *modelClient) run() {
	m.total = -1
	for {
		m.attempts++
		m.err = m.attempt()
		if m.err == nil || !m.err.retryable() || m.attempts > m.retries {
			return
		}
		m.retryLog = append(m.retryLog, modelRetry{m.err.retryAfter, m.attempts, int64(m.kept())})
	}
}

// attempt sends requests until one gets a response whose body is saved:
// a part that the answer shows cannot be resumed is dropped and the whole
// file asked for, in the same attempt.
func (m *modelClient) attempt() *modelError {
	for {
		resuming := m.resumable()
		m.offset = m.kept()
		rng, ifRange := "", ""
		if resuming {
			rng, ifRange = fmt.Sprintf("bytes=%d-", m.offset), m.ifRange()
		}
		m.requests = append(m.requests, rng+"|"+ifRange)
		r := m.srv.reply(rng, ifRange)
		switch {
		case r.noHeaders:
			return &modelError{kind: "net"}
		case r.status == http.StatusOK:
			m.offset, m.etag, m.lastMod, m.total = 0, r.header.Get("ETag"), r.header.Get("Last-Modified"), r.length
			return m.save(r)
		case r.status == http.StatusPartialContent && resuming:
			if !m.sameVersion(r.header) || r.header.Get("Content-Range") != fmt.Sprintf("bytes %d-%d/%d", m.offset, m.total-1, m.total) {
				m.restart()
				continue
			}
			if r.length >= 0 && r.length != m.total-m.offset {
				return &modelError{kind: "bad"}
			}
			return m.save(r)
		case r.status == http.StatusRequestedRangeNotSatisfiable && resuming:
			m.restart()
		case r.status == http.StatusPartialContent:
			return &modelError{kind: "bad"}
		default:
			return &modelError{kind: "status", code: r.status, retryAfter: modelRetryAfter(r.header)}
		}
	}
}

// sameVersion: a 206 carries the part's ETag, and its Last-Modified when
// that is what If-Range sent.
func (m *modelClient) sameVersion(h http.Header) bool {
	if m.etag != "" && h.Get("ETag") != m.etag {
		return false
	}
	return m.ifRange() != m.lastMod || h.Get("Last-Modified") == m.lastMod
}

// save is the body of r written to the part from m.offset on: complete,
// or kept as far as it is trusted.
func (m *modelClient) save(r reply) *modelError {
	from := m.offset
	m.responses = append(m.responses, fmt.Sprintf("%d/%d", from, m.total))
	m.disk, m.diskExists = m.disk[:from], true
	if m.total >= 0 && len(r.body) > m.total-from {
		return &modelError{kind: "bad"} // none of the body is kept
	}
	m.disk = append(m.disk, r.body...)
	m.offset = len(m.disk)
	switch {
	case r.drop && m.total >= 0, !r.drop && m.total >= 0 && m.offset != m.total:
		return &modelError{kind: "short"}
	case r.drop:
		return &modelError{kind: "net"}
	}
	m.file = m.disk
	return nil
}

// modelRetryAfter reads Retry-After as the documentation says: seconds,
// or an HTTP date counted from the Date header; 0 if malformed or past.
func modelRetryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if secs, err := strconv.Atoi(v); err == nil {
		return time.Duration(max(secs, 0)) * time.Second
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	date, _ := http.ParseTime(h.Get("Date"))
	return max(at.Sub(date), 0)
}

// The real run.

// A scriptedServer answers each request with the next reply of its
// fileServer, and logs the requests' Range and If-Range.
type scriptedServer struct {
	t        *testing.T
	mu       sync.Mutex
	srv      fileServer
	requests []string
}

func (s *scriptedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rng, ifRange := r.Header.Get("Range"), r.Header.Get("If-Range")
	s.requests = append(s.requests, rng+"|"+ifRange)
	rep := s.srv.reply(rng, ifRange)
	s.mu.Unlock()
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		s.t.Error(err)
		return
	}
	defer conn.Close()
	rep.write(buf)
	buf.Flush()
}

// checkRetryRun downloads a file from a server answering with script,
// and checks the run against the model.
func checkRetryRun(t *testing.T, retries, validators int, script []answer) {
	m := &modelClient{srv: fileServer{validators: validators, script: script}, retries: retries}
	m.run()

	ss := &scriptedServer{t: t, srv: fileServer{validators: validators, script: script}}
	srv := newServer(t, ss.ServeHTTP)
	d := newDownloader(t)
	d.Retries = retries
	// A new connection for each request: net/http resends a request
	// whose reused connection dropped, which would add requests that the
	// script did not plan for.
	d.Client = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	var retryEvents []fetch.Event
	var responses []string
	d.OnEvent = func(e fetch.Event) {
		switch e.Kind {
		case fetch.EventRetry:
			retryEvents = append(retryEvents, e)
		case fetch.EventResponse:
			responses = append(responses, fmt.Sprintf("%d/%d", e.Written, e.Total))
		}
	}
	res, took, err := run(t, d, fetch.Request{URL: srv.URL + "/f.bin"})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	got := res[0]
	ss.mu.Lock()
	requests := ss.requests
	ss.mu.Unlock()
	where := fmt.Sprintf("retries %d, validators %d, script %v", retries, validators, script)
	if !slices.Equal(requests, m.requests) {
		t.Errorf("%s:\nrequests (Range|If-Range) %q\nwant                      %q", where, requests, m.requests)
	}
	if got.Attempts != m.attempts || errorKind(got.Err) != m.err.String() {
		t.Errorf("%s: %d attempts, %v (%s); want %d attempts, %s", where, got.Attempts, got.Err, errorKind(got.Err), m.attempts, m.err)
	}
	if !slices.Equal(responses, m.responses) {
		t.Errorf("%s: responses (written/total) %v, want %v", where, responses, m.responses)
	}
	if waited := checkRetries(t, where, retryEvents, m.retryLog); took != waited || got.Elapsed != waited {
		t.Errorf("%s: took %v of loop time, Elapsed %v; want the %v of the waits", where, took, got.Elapsed, waited)
	}
	checkFiles(t, where, d, got, m)
}

// checkRetries compares the retry events with the model's and returns
// the sum of their waits.
func checkRetries(t *testing.T, where string, events []fetch.Event, want []modelRetry) time.Duration {
	if len(events) != len(want) {
		t.Errorf("%s: %d retries, want %d", where, len(events), len(want))
		return 0
	}
	var sum time.Duration
	for i, e := range events {
		w := want[i]
		limit := min(30*time.Second, fetch.BackoffBase<<(w.n-1))
		if w.retryAfter > 0 {
			limit = w.retryAfter
		}
		if e.Delay > limit || e.Delay < 0 || (w.retryAfter > 0 && e.Delay != w.retryAfter) {
			t.Errorf("%s: retry %d waits %v, want %v (Retry-After %v)", where, i+1, e.Delay, limit, w.retryAfter)
		}
		if e.Written != w.written {
			t.Errorf("%s: retry %d after %v says the part keeps %d bytes, want %d", where, i+1, e.Err, e.Written, w.written)
		}
		sum += e.Delay
	}
	return sum
}

// checkFiles checks what the download left in d.Dir: the file the model
// assembled, a whole version of the server's file, and nothing else; or,
// if it failed, no file under the final name and the part the model
// expects.
func checkFiles(t *testing.T, where string, d *fetch.Downloader, got fetch.Result, m *modelClient) {
	files := dirFiles(t, d.Dir)
	if m.err == nil {
		b, err := os.ReadFile(in(d, "f.bin"))
		if err != nil || !bytes.Equal(b, m.file) || got.Bytes != int64(len(m.file)) || !slices.Equal(files, []string{"f.bin"}) {
			t.Errorf("%s: success left %v, f.bin of %d bytes (%v), Bytes %d; want f.bin of the model's %d bytes", where, files, len(b), err, got.Bytes, len(m.file))
		}
		if !isVersion(b) {
			t.Errorf("%s: f.bin is not a version of the server's file", where)
		}
		return
	}
	var want []string
	if m.diskExists {
		want = []string{"f.bin.part"}
	}
	if !slices.Equal(files, want) {
		t.Fatalf("%s: failure left %v, want %v", where, files, want)
	}
	if m.diskExists {
		if b, _ := os.ReadFile(in(d, "f.bin.part")); !bytes.Equal(b, m.disk) {
			t.Errorf("%s: the part holds %d bytes, want the model's %d", where, len(b), len(m.disk))
		}
	}
}

// isVersion reports whether b is one whole version of the server's file.
func isVersion(b []byte) bool {
	for v := range 24 {
		if bytes.Equal(b, versionBody(v)) {
			return true
		}
	}
	return false
}

// errorKind names the kind of a download's error as the model does.
func errorKind(err error) string {
	if err == nil {
		return "success"
	}
	if se, ok := errors.AsType[*fetch.StatusError](err); ok {
		return fmt.Sprintf("status %d (Retry-After %v)", se.Code, se.RetryAfter)
	}
	switch {
	case errors.Is(err, fetch.ErrShortBody):
		return "short"
	case errors.Is(err, fetch.ErrBadResponse):
		return "bad"
	}
	return "net"
}

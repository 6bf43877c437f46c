package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

// hostile is a status text that clears the screen, turns it red and
// retitles the window.
const hostile = "\x1b[2J\x1b[31mPWNED\x1b]0;title\x07"

// live returns the first character in s that a terminal would act on or
// hide rather than show, or "" if there is none.
func live(s string) string {
	for i, r := range s {
		if r == utf8.RuneError || r == '\n' {
			continue // the end of a line is the display's own
		}
		if unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp) {
			return fmt.Sprintf("%q at byte %d", r, i)
		}
	}
	return ""
}

// rawResponse answers with the bytes of resp, as a server that writes its
// own status line does.
func rawResponse(w http.ResponseWriter, resp string) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	buf.WriteString(resp)
	buf.Flush()
}

func TestServerTextIsEscaped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/status":
			rawResponse(w, "HTTP/1.1 404 "+hostile+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		case "/busy":
			rawResponse(w, "HTTP/1.1 503 "+hostile+"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		case "/name":
			w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''e%E2%80%AEgpj.exe")
			w.Write([]byte("x"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	out := t.TempDir()
	code, stdout, stderr := aiofetch(t, t.Context(), "", "--json", "--retries", "1", "-j", "1", "-o", out,
		srv.URL+"/status", srv.URL+"/busy", srv.URL+"/name", srv.URL+"/x\u202Efdp.exe")
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	if c := live(stderr); c != "" {
		t.Errorf("stderr holds %s:\n%q", c, stderr)
	}
	if c := live(stdout); c != "" {
		t.Errorf("the JSON summary holds %s:\n%q", c, stdout)
	}
	for _, want := range []string{
		`FAIL  ` + srv.URL + `/status: HTTP 404 \x1b[2J\x1b[31mPWNED\x1b]0;title\x07`,
		`retry ` + srv.URL + `/busy in `,
		`FAIL  ` + srv.URL + `/x\u202efdp.exe: HTTP 404 Not Found`,
		`done  ` + out + `/egpj.exe`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	var got []struct {
		URL   string
		Error *string
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if len(got) != 4 || got[0].Error == nil || *got[0].Error != "HTTP 404 "+hostile || got[3].URL != srv.URL+"/x\u202Efdp.exe" {
		t.Errorf("the JSON summary does not hold the server's text as it was: %+v", got)
	}
}

// A watchWriter is a buffer that tells when a line holding a string has
// been written to it.
type watchWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.want)
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestNetHTTPLogsAreShownEscaped plays a server that sends more than its
// response: net/http logs the surplus ("Unsolicited response") with the
// standard logger, which must reach aiofetch's standard error, escaped,
// and not the process's.
func TestNetHTTPLogsAreShownEscaped(t *testing.T) {
	stderr := &watchWriter{want: "Unsolicited response", seen: make(chan struct{})}
	surplus := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rawResponse(w, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 "+hostile+"\r\n\r\n")
	}))
	defer surplus.Close()
	// The second download waits for the log, so that it comes while the
	// command runs.
	waits := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-stderr.seen:
		case <-time.After(10 * time.Second):
		}
		w.Write([]byte("ok"))
	}))
	defer waits.Close()
	var stdout bytes.Buffer
	code := run(t.Context(), []string{"-j", "1", "-o", t.TempDir(), surplus.URL + "/a", waits.URL + "/b"},
		strings.NewReader(""), &stdout, stderr)
	got := stderr.String()
	if code != exitOK {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitOK, got)
	}
	if !strings.Contains(got, "aiofetch: Unsolicited response") {
		t.Errorf("net/http's log did not reach the command's standard error:\n%s", got)
	}
	if c := live(got); c != "" {
		t.Errorf("stderr holds %s:\n%q", c, got)
	}
}

// TestEscape checks what escape spells out, and what it leaves alone.
func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text, € and 日本", "plain text, € and 日本"},
		{"a\\b", "a\\b"},
		{hostile, `\x1b[2J\x1b[31mPWNED\x1b]0;title\x07`},
		{"tab\tnew\nline\rdel\x7f", `tab\x09new\x0aline\x0ddel\x7f`},
		{"c1 \u009b2J", `c1 \u009b2J`},
		{"e\u202Egpj.exe", `e\u202egpj.exe`},
		{"\u2066\u2069\u200e\u200f\u061c\u200b\ufeff", `\u2066\u2069\u200e\u200f\u061c\u200b\ufeff`},
		{"tag\U000E0041", `tag\U000e0041`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"\ufffd stays", "\ufffd stays"},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestJSONSafe checks that the JSON summary spells out what
// encoding/json leaves raw, and that it decodes to the same text.
func TestJSONSafe(t *testing.T) {
	in := "del\x7f c1\u009b bidi\u202e tag\U000E0041 €"
	b, _ := json.Marshal(in)
	safe := jsonSafe(b)
	if c := live(string(safe)); c != "" {
		t.Errorf("%s holds %s", safe, c)
	}
	var out string
	if err := json.Unmarshal(safe, &out); err != nil || out != in {
		t.Errorf("%s decodes to %q (%v), want %q", safe, out, err, in)
	}
}

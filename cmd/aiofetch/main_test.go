package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(asCommand) != "" {
		main() // the test binary runs as the command; see command
	}
	goleak.VerifyTestMain(m)
}

// testServer serves "/NAME" as the bytes of NAME, "/missing" as a 404, and
// counts the requests.
func testServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(r.URL.Path[1:]))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// aiofetch runs the command with args and stdin, and returns its exit code
// and output. It checks that no goroutine started by the run outlives it.
func aiofetch(t *testing.T, ctx context.Context, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	var out, errOut bytes.Buffer
	code = run(ctx, args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	srv, hits := testServer(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o644)
	list := filepath.Join(dir, "list.txt")
	os.WriteFile(list, []byte("# two files\n"+srv.URL+"/one\n"+srv.URL+"/two  second.txt\n"), 0o644)
	badList := filepath.Join(dir, "bad.txt")
	os.WriteFile(badList, []byte(srv.URL+"/one\n\nfile:///etc/passwd\n"), 0o644)

	tests := []struct {
		name     string
		stdin    string
		args     []string
		want     int
		wantErr  []string // in stderr
		wantHits int32
	}{
		{"all downloaded", "", []string{"-o", "OUT", srv.URL + "/one", srv.URL + "/two"}, exitOK, nil, 2},
		{"flags after URLs", "", []string{srv.URL + "/one", "-o", "OUT", "-j", "1"}, exitOK, nil, 1},
		{"list file", "", []string{"-o", "OUT", "-i", list}, exitOK, nil, 2},
		{"list on stdin", srv.URL + "/one\n", []string{"-o", "OUT", "-i", "-"}, exitOK, nil, 1},
		{"one fails", "", []string{"-o", "OUT", "--retries", "0", srv.URL + "/one", srv.URL + "/missing"}, exitFailed,
			[]string{"1 failed", srv.URL + "/missing: HTTP 404 Not Found"}, 2},
		{"unknown flag", "", []string{"--nope", srv.URL + "/one"}, exitUsage, []string{"flag provided but not defined: -nope", "aiofetch -h"}, 0},
		{"no URL", "", []string{"-o", "OUT"}, exitUsage, []string{"no URLs"}, 0},
		{"empty list", "# nothing\n", []string{"-i", "-"}, exitUsage, []string{"holds no URL"}, 0},
		{"unreadable list", "", []string{"-i", filepath.Join(dir, "absent.txt")}, exitUsage, []string{"cannot read the list", "absent.txt"}, 0},
		{"invalid URL", "", []string{srv.URL + "/one", "ftp://example.com/x"}, exitUsage, []string{`invalid URL "ftp://example.com/x"`}, 0},
		{"invalid URL in list", "", []string{"-i", badList}, exitUsage, []string{"bad.txt", "(line 3)", "http or https"}, 0},
		{"output dir is a file", "", []string{"-o", filepath.Join(file, "sub"), srv.URL + "/one"}, exitUsage, []string{"output directory"}, 0},
		{"zero jobs", "", []string{"-j", "0", srv.URL + "/one"}, exitUsage, []string{"-j 0"}, 0},
		{"bad rate", "", []string{"--limit-rate", "fast", srv.URL + "/one"}, exitUsage, []string{"-limit-rate", "500k"}, 0},
		{"demo with URLs", "", []string{"--demo", srv.URL + "/one"}, exitUsage, []string{"--demo"}, 0},
		{"debug address", "", []string{"-o", "OUT", "--debug-addr", "127.0.0.1:0", srv.URL + "/one"}, exitOK, []string{"task tree at http://127.0.0.1:"}, 1},
		{"remote debug address", "", []string{"--debug-addr", "0.0.0.0:6060", srv.URL + "/one"}, exitUsage, []string{"--debug-addr", "non-loopback"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hits.Store(0)
			args := slices.Clone(tt.args)
			for i, a := range args {
				if a == "OUT" {
					args[i] = t.TempDir()
				}
			}
			code, _, stderr := aiofetch(t, t.Context(), tt.stdin, args...)
			if code != tt.want {
				t.Errorf("exit code %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr does not say %q:\n%s", s, stderr)
				}
			}
			if got := hits.Load(); got != tt.wantHits {
				t.Errorf("%d requests, want %d", got, tt.wantHits)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, stdout, _ := aiofetch(t, t.Context(), "", "-h")
	if code != exitOK || !strings.Contains(stdout, "Usage: aiofetch") || !strings.Contains(stdout, "--limit-rate") {
		t.Errorf("-h: exit %d, stdout:\n%s", code, stdout)
	}
}

func TestLogLinesWhenNotATerminal(t *testing.T) {
	srv, _ := testServer(t)
	out := t.TempDir()
	code, _, stderr := aiofetch(t, t.Context(), "", "-o", out, srv.URL+"/one", srv.URL+"/two")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, name := range []string{"one", "two"} {
		if want := "done  " + filepath.Join(out, name) + " (3 B in "; !strings.Contains(stderr, want) {
			t.Errorf("stderr has no line %q:\n%s", want, stderr)
		}
	}
	if !strings.Contains(stderr, "2 of 2 files downloaded") {
		t.Errorf("stderr has no summary:\n%s", stderr)
	}
	code, _, stderr = aiofetch(t, t.Context(), "", "-q", "-o", t.TempDir(), srv.URL+"/one")
	if code != exitOK || stderr != "" {
		t.Errorf("--quiet: exit %d, stderr %q, want 0 and nothing", code, stderr)
	}
}

func TestContinueSkips(t *testing.T) {
	srv, hits := testServer(t)
	out := t.TempDir()
	os.WriteFile(filepath.Join(out, "one"), []byte("kept"), 0o644)
	code, _, stderr := aiofetch(t, t.Context(), "", "-c", "-o", out, srv.URL+"/one")
	if code != exitOK || !strings.Contains(stderr, "skip  "+filepath.Join(out, "one")) {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "one")); string(b) != "kept" || hits.Load() != 1 {
		t.Errorf("file holds %q after %d requests, want it kept", b, hits.Load())
	}
}

func TestExistingFilesAreNotReplaced(t *testing.T) {
	srv, _ := testServer(t)
	out := t.TempDir()
	mine := filepath.Join(out, "one")
	os.WriteFile(mine, []byte("mine"), 0o644)
	code, _, stderr := aiofetch(t, t.Context(), "", "-o", out, srv.URL+"/one")
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	for _, want := range []string{"FAIL  " + srv.URL + "/one: file already exists: " + mine, "--overwrite", "--continue"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	if b, _ := os.ReadFile(mine); string(b) != "mine" {
		t.Errorf("the file holds %q, want it kept", b)
	}
	code, _, stderr = aiofetch(t, t.Context(), "", "--overwrite", "-o", out, srv.URL+"/one")
	if b, _ := os.ReadFile(mine); code != exitOK || string(b) != "one" {
		t.Errorf("--overwrite: exit %d, file %q, want 0 and the download; stderr:\n%s", code, b, stderr)
	}
}

func TestJSONSummary(t *testing.T) {
	srv, _ := testServer(t)
	out := t.TempDir()
	code, stdout, _ := aiofetch(t, t.Context(), "", "--json", "-q", "--retries", "0", "-o", out, srv.URL+"/one", srv.URL+"/missing")
	if code != exitFailed {
		t.Errorf("exit %d, want %d", code, exitFailed)
	}
	var got []map[string]any
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, stdout)
	}
	if len(got) != 2 {
		t.Fatalf("%d elements, want 2", len(got))
	}
	wantKeys := []string{"attempts", "bytes", "error", "path", "seconds", "sha256", "skipped", "url"}
	for _, e := range got {
		if keys := slices.Sorted(maps.Keys(e)); !slices.Equal(keys, wantKeys) {
			t.Errorf("keys %v, want %v", keys, wantKeys)
		}
	}
	sum := sha256.Sum256([]byte("one"))
	ok, failed := got[0], got[1]
	if ok["url"] != srv.URL+"/one" || ok["path"] != filepath.Join(out, "one") || ok["bytes"] != 3.0 ||
		ok["sha256"] != hex.EncodeToString(sum[:]) || ok["attempts"] != 1.0 || ok["error"] != nil {
		t.Errorf("success reported as %v", ok)
	}
	if s, _ := ok["seconds"].(float64); s <= 0 {
		t.Errorf("seconds %v, want a positive duration", ok["seconds"])
	}
	if failed["error"] != "HTTP 404 Not Found" || failed["bytes"] != 0.0 || failed["attempts"] != 1.0 {
		t.Errorf("failure reported as %v", failed)
	}
}

// stallingServer answers one request with a tenth of a body and then
// nothing, until the client lets go; sent is closed once the tenth is sent.
func stallingServer(t *testing.T) (srv *httptest.Server, sent <-chan struct{}) {
	ch := make(chan struct{})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.Write(make([]byte, 100_000))
		http.NewResponseController(w).Flush()
		close(ch)
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestInterruptLeavesOnlyParts(t *testing.T) {
	srv, sent := stallingServer(t)
	out := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-sent
		// Interrupt once the part is on disk, as SIGINT does.
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if fi, err := os.Stat(filepath.Join(out, "big.bin.part")); err == nil && fi.Size() > 0 {
				break
			}
		}
		cancel()
	}()
	code, _, stderr := aiofetch(t, ctx, "", "-o", out, srv.URL+"/big.bin")
	if code != exitInterrupted || !strings.Contains(stderr, "interrupted") {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, stderr)
	}
	if strings.Contains(stderr, "FAIL") {
		t.Errorf("an interrupted download is reported as failed:\n%s", stderr)
	}
	ents, _ := os.ReadDir(out)
	if len(ents) != 1 || ents[0].Name() != "big.bin.part" {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("output directory holds %v, want only big.bin.part", names)
	}
}

// TestInterruptWithANamedPipeAsPart plays a directory where a part is a
// named pipe, which once blocked a worker in open for good, and with it
// the end of the run: the download must fail at once, saying why, and an
// interrupt must still end the run of the others.
func TestInterruptWithANamedPipeAsPart(t *testing.T) {
	out := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(out, "a.txt.part"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/a.txt" {
			w.Write([]byte("a"))
			return
		}
		w.Header().Set("Content-Length", "1000")
		w.Write([]byte("part of it"))
		http.NewResponseController(w).Flush()
		<-r.Context().Done() // the rest never comes
	}))
	defer srv.Close()
	const says = "a.txt.part is a named pipe (FIFO), not a regular file; remove it"
	stderr := &watchWriter{want: says, seen: make(chan struct{})}
	ctx, interrupt := context.WithCancel(t.Context())
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	done := make(chan struct{})
	go func() {
		select {
		case <-stderr.seen:
		case <-time.After(5 * time.Second): // the failure never came
		case <-done:
		}
		interrupt()
	}()
	var stdout bytes.Buffer
	code := run(ctx, []string{"-j", "2", "-o", out, srv.URL + "/a.txt", srv.URL + "/slow"}, strings.NewReader(""), &stdout, stderr)
	close(done)
	got := stderr.String()
	if code != exitInterrupted || !strings.Contains(got, "interrupted") {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitInterrupted, got)
	}
	if !strings.Contains(got, "FAIL  "+srv.URL+"/a.txt: "+filepath.Join(out, says)) {
		t.Errorf("stderr does not say why a.txt failed:\n%s", got)
	}
	if fi, err := os.Lstat(filepath.Join(out, "a.txt.part")); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the named pipe is gone or changed: %v, %v", fi, err)
	}
}

func TestDemo(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := aiofetch(t, t.Context(), "", "--demo", "-o", out)
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	for _, s := range []string{"sync, one at a time:", "async, all at once:", "async took 1/"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("stdout does not say %q:\n%s", s, stdout)
		}
	}
	if n := strings.Count(stdout, "  start  http://127.0.0.1:"); n != 2*demoImages {
		t.Errorf("%d start lines, want %d:\n%s", n, 2*demoImages, stdout)
	}
	for _, sub := range []string{"sync", "async"} {
		for i := 1; i <= demoImages; i++ {
			b, err := os.ReadFile(filepath.Join(out, sub, fmt.Sprintf("%d.png", i)))
			if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("%s/%d.png is not a PNG image (%v)", sub, i, err)
			}
		}
	}
}

func TestDemoRemovesItsTemporaryFiles(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if code, _, stderr := aiofetch(t, t.Context(), "", "--demo"); code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, stderr)
	}
	if ents, _ := os.ReadDir(tmp); len(ents) != 0 {
		t.Errorf("the demo left %d entries in the temporary directory", len(ents))
	}
}

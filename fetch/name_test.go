package fetch_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/goasyncio/asyncio/fetch"
)

func TestSanitizeName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"photo.png", "photo.png"},
		{"../../etc/passwd", "passwd"},
		{`..\..\boot.ini`, "boot.ini"},
		{"dir/", ""},
		{"..", ""},
		{".", ""},
		{".bashrc", "bashrc"},
		{"...hidden", "hidden"},
		{"  spaced .txt  ", "spaced .txt"},
		{"a\x00b\nc\x7fd.txt", "a_b_c_d.txt"},
		{"bad\xffutf8.txt", "bad_utf8.txt"},
		{"€ rates.txt", "€ rates.txt"},
		{strings.Repeat("x", 300) + ".tar", strings.Repeat("x", 196) + ".tar"},
		{strings.Repeat("é", 150), strings.Repeat("é", 100)},
		{"a" + strings.Repeat("é", 150), "a" + strings.Repeat("é", 99)},                                // not cut inside a rune
		{strings.Repeat("x", 196) + ".tar", strings.Repeat("x", 196) + ".tar"},                         // 200 bytes: as long as may be
		{strings.Repeat("x", 300) + ".abcdefghijklmno", strings.Repeat("x", 184) + ".abcdefghijklmno"}, // a 16-byte extension is kept
		{strings.Repeat("x", 300) + ".abcdefghijklmnop", strings.Repeat("x", 200)},                     // a longer one is not
		{"/passwd", "passwd"},
		{`\boot.ini`, "boot.ini"},
		// Invisible format characters go; bidi overrides would show
		// "e\u202Egpj.exe" as "eexe.jpg".
		{"e\u202Egpj.exe", "egpj.exe"},
		{"a\u2066b\u2069\u200Fc\u061C.txt", "abc.txt"},
		{"zero\u200Bwidth\uFEFF\u00AD.txt", "zerowidth.txt"},
		{"tag\U000E0041.txt", "tag.txt"},
		{"line\u2028para\u2029.txt", "line_para_.txt"},
		{"\u202E.bashrc", "bashrc"},
		{"x.part\u200B", "x.part_"},
		// The names of partial files are the downloader's own.
		{"x.part", "x.part_"},
		{"x.part.meta", "x.part.meta_"},
		{"x.PART", "x.PART_"},
		{"x.Part.Meta", "x.Part.Meta_"},
		{".part", "part"},
		{"x.partial", "x.partial"},
		{"x.part.metadata", "x.part.metadata"},
		{strings.Repeat("x", 300) + ".part", strings.Repeat("x", 194) + ".part_"},
		{strings.Repeat("x", 195) + ".part" + strings.Repeat("y", 20), strings.Repeat("x", 194) + ".part_"}, // cut to a reserved end
	}
	for _, tt := range tests {
		if got := fetch.SanitizeName(tt.in); got != tt.want {
			t.Errorf("SanitizeName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestResponseName(t *testing.T) {
	tests := []struct {
		disposition, url, want string
	}{
		{"", "http://h/a/b/photo.png?x=1", "photo.png"},
		{"", "http://h/", "index.html"},
		{"", "http://h", "index.html"},
		{"", "http://h/dir/", "index.html"},
		{"", "http://h/%2E%2E", "index.html"},
		{"", "http://h/caf%C3%A9.txt", "café.txt"},
		{`attachment; filename="report.pdf"`, "http://h/download?id=3", "report.pdf"},
		{`attachment; filename="plain.txt"; filename*=UTF-8''%E2%82%AC.txt`, "http://h/x", "€.txt"},
		{`attachment; filename="../../etc/passwd"`, "http://h/x", "passwd"},
		{`attachment; filename*=UTF-8''..%2F..%2Fevil%01.sh`, "http://h/x", "evil_.sh"},
		{`attachment; filename=".."`, "http://h/fallback.bin", "fallback.bin"},
		{`attachment; filename=../unquoted`, "http://h/fallback.bin", "fallback.bin"}, // malformed: ignored
		{`inline`, "http://h/page", "page"},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.disposition != "" {
			h.Set("Content-Disposition", tt.disposition)
		}
		u, _ := url.Parse(tt.url)
		if got := fetch.ResponseName(h, u); got != tt.want {
			t.Errorf("Content-Disposition %q, URL %s: name %q, want %q", tt.disposition, tt.url, got, tt.want)
		}
	}
}

func TestReserveNames(t *testing.T) {
	tests := []struct{ name, want string }{
		{"a.bin", "a.bin"},
		{"a.bin", "a.1.bin"},
		{"a.bin.part", "a.bin.1.part"},           // a.bin.part is a.bin's part
		{"a.bin.part.meta", "a.bin.part.1.meta"}, // and a.bin.part.meta its sidecar
		{"b", "b"},
		{"b", "b.1"},
		{"b.part", "b.2.part"},   // b.1.part is b.1's part
		{"a.bin.1", "a.bin.1.1"}, // its part would be a.bin.1.part, taken above
		{"a.bin", "a.2.bin"},
	}
	var names, want []string
	for _, tt := range tests {
		names, want = append(names, tt.name), append(want, tt.want)
	}
	if got := fetch.Reserve(names...); !slices.Equal(got, want) {
		t.Errorf("reserved %q, want %q", got, want)
	}
}

func TestFetchNamesFilesSafely(t *testing.T) {
	dispositions := map[string]string{
		"/traversal": `attachment; filename="../../../outside.txt"`,
		"/control":   "attachment; filename*=UTF-8''bell%07%0Aline.txt",
		"/hidden":    `attachment; filename=".profile"`,
		"/bidi":      "attachment; filename*=UTF-8''e%E2%80%AEgpj.exe",
	}
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if cd := dispositions[r.URL.Path]; cd != "" {
			w.Header().Set("Content-Disposition", cd)
		}
		serve(w, r, []byte(r.URL.Path), "")
	})
	d := newDownloader(t)
	res := runOK(t, d,
		fetch.Request{URL: srv.URL + "/traversal"},
		fetch.Request{URL: srv.URL + "/control"},
		fetch.Request{URL: srv.URL + "/hidden"},
		fetch.Request{URL: srv.URL + "/bidi"},
	)
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
	}
	want := []string{"bell__line.txt", "egpj.exe", "outside.txt", "profile"}
	if got := dirFiles(t, d.Dir); !slices.Equal(got, want) {
		t.Errorf("directory holds %q, want %q", got, want)
	}
}

func TestFetchNeverGivesTwoDownloadsOneName(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/cd" {
			w.Header().Set("Content-Disposition", `attachment; filename="file.txt"`)
		}
		serve(w, r, []byte(r.URL.Path), "")
	})
	d := newDownloader(t)
	reqs := []fetch.Request{
		{URL: srv.URL + "/a/file.txt"},
		{URL: srv.URL + "/b/file.txt"},
		{URL: srv.URL + "/c/other", Name: "file.txt"}, // a name asked for comes first
		{URL: srv.URL + "/cd"},
		{URL: srv.URL + "/a/file.txt"}, // the same URL twice: two files
	}
	res := runOK(t, d, reqs...)
	seen := map[string]bool{}
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if seen[r.Path] {
			t.Errorf("two downloads saved to %s", r.Path)
		}
		seen[r.Path] = true
		checkFile(t, r.Path, []byte(strings.TrimPrefix(r.Request.URL, srv.URL)))
	}
	if res[2].Path != in(d, "file.txt") {
		t.Errorf("the request naming file.txt got %s", res[2].Path)
	}
	if res[0].Path != in(d, "file.1.txt") || res[1].Path != in(d, "file.2.txt") {
		t.Errorf("URL-named files got %s and %s, want file.1.txt and file.2.txt in list order", res[0].Path, res[1].Path)
	}
	if len(dirFiles(t, d.Dir)) != len(reqs) {
		t.Errorf("directory holds %v, want %d files", dirFiles(t, d.Dir), len(reqs))
	}
}

// TestFetchReservesNamesOfPartialFiles plays a server that names its
// files as the partial file of another download and its sidecar, so that
// the next run resumes that download into bytes of the server's choosing.
func TestFetchReservesNamesOfPartialFiles(t *testing.T) {
	real := content(5000, 41)
	planted := []byte("planted bytes")
	var h hits
	var victim string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		h.add(r)
		switch r.URL.Path {
		case "/plant-part":
			w.Header().Set("Content-Disposition", `attachment; filename="x.part"`)
			w.Write(planted)
		case "/plant-meta":
			w.Header().Set("Content-Disposition", `attachment; filename="x.part.meta"`)
			fmt.Fprintf(w, `{"url":%q,"name":"x","etag":"\"v\"","length":%d}`, victim, len(real))
		default:
			serve(w, r, real, `"v"`)
		}
	})
	victim = srv.URL + "/x"
	d := newDownloader(t)
	res := runOK(t, d, fetch.Request{URL: srv.URL + "/plant-part"}, fetch.Request{URL: srv.URL + "/plant-meta"})
	for i, want := range []string{"x.part_", "x.part.meta_"} {
		if res[i].Err != nil || res[i].Path != in(d, want) {
			t.Errorf("%s saved as %s (%v), want %s", res[i].Request.URL, res[i].Path, res[i].Err, want)
		}
	}
	h = hits{}
	res = runOK(t, d, fetch.Request{URL: victim})
	if res[0].Err != nil {
		t.Fatal(res[0].Err)
	}
	checkFile(t, in(d, "x"), real)
	if rg := h.all()[0].Header.Get("Range"); rg != "" {
		t.Errorf("the download asked for Range %q: it took a planted file for its part", rg)
	}
}

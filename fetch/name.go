package fetch

import (
	"mime"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxNameLen bounds a file name in bytes, leaving room below the usual
// 255-byte limit for a collision suffix and the ".part.meta" extension.
const maxNameLen = 200

// Suffixes of the files that hold a download in progress.
const (
	partSuffix = ".part"
	metaSuffix = ".part.meta"
)

// sanitizeName turns a name that a server or URL suggests into a plain file
// name, or "" if nothing usable is left: it keeps the last element of a
// path (so "../../etc/passwd" becomes "passwd"), replaces control
// characters, line and paragraph separators and invalid UTF-8 with '_',
// drops invisible format characters (Unicode's Cf: bidi controls, which
// show "e\u202Egpj.exe" as "eexe.jpg", zero-width spaces and joiners, soft
// hyphens), drops leading dots (so the file is
// neither hidden nor "." or "..") and surrounding spaces, shortens it to
// maxNameLen bytes, keeping a short extension, and appends '_' to a name
// that ends like a partial file or its sidecar (see reservedName).
func sanitizeName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.ToValidUTF8(s, "_")
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.Is(unicode.Cf, r):
			return -1
		case unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) || r == utf8.RuneError:
			return '_'
		}
		return r
	}, s)
	s = strings.TrimLeft(strings.TrimSpace(s), ".")
	s = strings.TrimSpace(s)
	s = truncateName(s, maxNameLen)
	if reservedName(s) {
		s = truncateName(s, maxNameLen-1) + "_"
	}
	return s
}

// reservedName reports whether name ends in ".part" or ".part.meta", in
// any case: a download by that name would write, or a later run take for
// its own, the partial file of another download or its sidecar. Case does
// not matter because on a case-insensitive file system, as macOS and
// Windows have by default, "X.PART" is "x.part".
func reservedName(name string) bool {
	for _, suffix := range []string{partSuffix, metaSuffix} {
		if n := len(name) - len(suffix); n >= 0 && strings.EqualFold(name[n:], suffix) {
			return true
		}
	}
	return false
}

// truncateName shortens name to at most n bytes, cutting at a rune
// boundary and keeping its extension if that is short.
func truncateName(name string, n int) string {
	if len(name) <= n {
		return name
	}
	ext := filepath.Ext(name)
	if len(ext) > 16 {
		ext = ""
	}
	stem := name[:len(name)-len(ext)]
	cut := n - len(ext)
	for cut > 0 && !utf8.RuneStart(stem[cut]) {
		cut--
	}
	return strings.TrimSpace(stem[:cut]) + ext
}

// responseName picks the name a response suggests: the Content-Disposition
// filename (its filename* form first, as RFC 6266 asks), else the last
// segment of the requested URL's path, else "index.html". The result is
// sanitized.
func responseName(h http.Header, u *url.URL) string {
	if _, params, err := mime.ParseMediaType(h.Get("Content-Disposition")); err == nil {
		// mime decodes filename* into "filename", preferring it.
		if name := sanitizeName(params["filename"]); name != "" {
			return name
		}
	}
	return urlName(u)
}

// urlName is the name of the last segment of u's path, sanitized, or
// "index.html".
func urlName(u *url.URL) string {
	p := u.Path
	if p == "" || strings.HasSuffix(p, "/") {
		return "index.html"
	}
	if name := sanitizeName(path.Base(p)); name != "" {
		return name
	}
	return "index.html"
}

// A nameSet holds the file names taken by the downloads of one call to
// Fetch, so that no two of them write the same file. It lives on the loop.
type nameSet map[string]bool

// reserve takes name, or if it is not free, the first free one of
// "stem.1.ext", "stem.2.ext", and so on.
func (s nameSet) reserve(name string) string {
	for i := 0; ; i++ {
		if cand := withSuffix(name, i); s.free(cand) {
			s[cand] = true
			return cand
		}
	}
}

// release gives name back.
func (s nameSet) release(name string) { delete(s, name) }

// free reports whether a download may take name: no file it writes (name
// and its partial files) is one that a download with a taken name writes.
func (s nameSet) free(name string) bool {
	if s[name] || s[name+partSuffix] || s[name+metaSuffix] {
		return false
	}
	for _, suffix := range []string{partSuffix, metaSuffix} {
		if base, ok := strings.CutSuffix(name, suffix); ok && s[base] {
			return false
		}
	}
	return true
}

// withSuffix returns name with ".i" before its extension, or name if i is 0.
func withSuffix(name string, i int) string {
	if i == 0 {
		return name
	}
	ext := filepath.Ext(name)
	if ext == name {
		ext = ""
	}
	return name[:len(name)-len(ext)] + "." + strconv.Itoa(i) + ext
}

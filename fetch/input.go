package fetch

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// A Request is one file to download.
type Request struct {
	// URL is the absolute http or https URL of the file.
	URL string

	// Name is the name of the file to save it as, inside the Downloader's
	// Dir. It must be a plain file name: no path separator, no control
	// or invisible formatting character, not starting with a dot, not ending in ".part" or
	// ".part.meta" (in any case: those are the names of partial files),
	// at most 200 bytes. If Name is
	// empty, the name comes from the response's Content-Disposition
	// header, else from the last segment of the URL's path, else it is
	// "index.html"; such names are sanitized rather than rejected.
	Name string

	// SHA256 is the expected SHA-256 of the file, as 64 hexadecimal
	// digits, or "" to accept any content.
	SHA256 string
}

// Validate reports why Fetch would reject r (an error matching
// ErrInvalidURL, ErrInvalidName or ErrInvalidChecksum), or nil.
func (r Request) Validate() error {
	_, err := r.normalize()
	return err
}

// normalize checks r and returns it with its checksum in lower case.
func (r Request) normalize() (Request, error) {
	if err := checkURL(r.URL); err != nil {
		return r, err
	}
	if r.Name != "" && sanitizeName(r.Name) != r.Name {
		return r, fmt.Errorf("%w %q: give a plain file name, without path separators, control or invisible formatting characters or a leading dot, not ending in .part or .part.meta, of at most %d bytes",
			ErrInvalidName, r.Name, maxNameLen)
	}
	if r.SHA256 != "" {
		if b, err := hex.DecodeString(r.SHA256); err != nil || len(b) != 32 {
			return r, fmt.Errorf("%w %q: want 64 hexadecimal digits", ErrInvalidChecksum, r.SHA256)
		}
		r.SHA256 = strings.ToLower(r.SHA256)
	}
	return r, nil
}

// checkURL reports why s is not a URL that can be downloaded, or nil.
func checkURL(s string) error {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("%w %q: %v", ErrInvalidURL, s, unwrapURLError(err))
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%w %q: the scheme must be http or https", ErrInvalidURL, s)
	case u.Host == "":
		return fmt.Errorf("%w %q: it has no host", ErrInvalidURL, s)
	}
	return nil
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the URL.
func unwrapURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}

// ParseList reads a list of requests, one per line:
//
//	URL [NAME] [sha256=HEX]
//
// Fields are separated by spaces or tabs; NAME and the checksum are
// optional and may come in either order. Blank lines are skipped, and so is
// everything from a field starting with '#' to the end of its line. Every
// URL, name and checksum is checked as Fetch would check it; the first
// problem is returned, naming its line, and then no request is returned.
func ParseList(r io.Reader) ([]Request, error) {
	var reqs []Request
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF") // a byte order mark
		}
		req, ok, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%w (line %d)", err, n)
		}
		if ok {
			reqs = append(reqs, req)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidList, err)
	}
	return reqs, nil
}

// parseLine parses one line of a list; ok is false for a line with no
// request.
func parseLine(line string) (req Request, ok bool, err error) {
	fields := strings.Fields(line)
	for i, f := range fields {
		if strings.HasPrefix(f, "#") {
			fields = fields[:i]
			break
		}
	}
	if len(fields) == 0 {
		return req, false, nil
	}
	req.URL = fields[0]
	for _, f := range fields[1:] {
		switch {
		case strings.HasPrefix(f, "sha256=") && req.SHA256 == "":
			req.SHA256 = strings.TrimPrefix(f, "sha256=")
			if req.SHA256 == "" {
				return req, false, fmt.Errorf("%w \"\": want 64 hexadecimal digits after sha256=", ErrInvalidChecksum)
			}
		case req.Name == "" && !strings.HasPrefix(f, "sha256="):
			req.Name = f
		default:
			return req, false, fmt.Errorf("%w: unexpected field %q: a line holds a URL, then optionally a file name and a sha256=HEX checksum", ErrInvalidList, f)
		}
	}
	req, err = req.normalize()
	return req, err == nil, err
}

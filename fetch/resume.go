package fetch

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Resuming. A download writes NAME.part and, once it knows it is worth
// resuming (a strong ETag or a Last-Modified date, a known length of at
// least resumeMin bytes), NAME.part.meta: the URL and those validators. A
// later attempt, in the same run or after a restart, asks only for the
// missing bytes with Range, and with If-Range so that a server whose file
// has changed sends the whole new file instead. A partial answer is kept
// only if its validators are the part's (servers that ignore If-Range
// exist) and its Content-Range starts where the part ends and gives the
// same total length; anything else starts over from zero. Without
// validators nothing proves the server still has the same file, so
// nothing is resumed.

// resumeMin is the smallest file worth a sidecar: smaller ones are quicker
// to fetch again than the sidecar is to write and delete.
const resumeMin = 1 << 20

// A partial is what is known of the partial file of a download.
type partial struct {
	offset       int64  // bytes of NAME.part the next attempt keeps
	etag         string // the ETag of the response that wrote them
	lastModified string // its Last-Modified
	total        int64  // the file's full length, or -1
}

// ifRange returns the validator to send with If-Range, or "" if there is
// none that may be used: If-Range needs a strong ETag or a date.
func (p *partial) ifRange() string {
	if p.etag != "" && !strings.HasPrefix(p.etag, "W/") {
		return p.etag
	}
	return p.lastModified
}

// resumable reports whether the next attempt may ask for the rest only.
func (p *partial) resumable() bool {
	return p.offset > 0 && p.total > p.offset && p.ifRange() != ""
}

// kept returns how many bytes of the part the next attempt keeps: all if
// it may resume, else none.
func (p *partial) kept() int64 {
	if p.resumable() {
		return p.offset
	}
	return 0
}

// setRange adds Range and If-Range to req if the part may be resumed.
func (p *partial) setRange(req *http.Request) {
	if p.resumable() {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(p.offset, 10)+"-")
		req.Header.Set("If-Range", p.ifRange())
	}
}

// learn records the validators and length of a response that starts the
// file over.
func (p *partial) learn(h http.Header, length int64) {
	*p = partial{etag: h.Get("ETag"), lastModified: h.Get("Last-Modified"), total: length}
}

// worthMeta reports whether a sidecar should be written for the part.
func (p *partial) worthMeta() bool {
	return p.total >= resumeMin && p.ifRange() != ""
}

// continuedBy judges resp, a 206 answer to a request that resumes the
// part. It reports true if resp sends the rest of the part's file, and
// false if it sends some other range, or a range of another version of
// the file, which is no use: the download starts over. A 206 whose
// headers contradict each other is a retryable ErrBadResponse: its body
// is not read at all.
func (p *partial) continuedBy(resp *http.Response) (bool, error) {
	if !p.sameVersion(resp.Header) || !matchContentRange(resp.Header, p.offset, p.total) {
		return false, nil
	}
	if resp.ContentLength >= 0 && resp.ContentLength != p.total-p.offset {
		return false, retryable(fmt.Errorf("%w: Content-Length %d disagrees with Content-Range %q",
			ErrBadResponse, resp.ContentLength, resp.Header.Get("Content-Range")))
	}
	return true, nil
}

// sameVersion reports whether a 206's validators say that it is of the
// version of the file that the part holds. A server that ignores If-Range
// sends a range of whatever version it has now, so they are checked here
// too: the ETag must be the part's, as a 206 must carry the ETag a 200
// would (RFC 9110, section 15.3.7); and when a date is what If-Range sent,
// Last-Modified must be that date, as it alone can tell.
func (p *partial) sameVersion(h http.Header) bool {
	if p.etag != "" && h.Get("ETag") != p.etag {
		return false
	}
	return p.ifRange() != p.lastModified || h.Get("Last-Modified") == p.lastModified
}

// matchContentRange reports whether a 206 response's Content-Range header
// is "bytes offset-(total-1)/total": the rest of the same file.
func matchContentRange(h http.Header, offset, total int64) bool {
	var start, end, size int64
	cr := h.Get("Content-Range")
	n, err := fmt.Sscanf(cr, "bytes %d-%d/%d", &start, &end, &size)
	return err == nil && n == 3 && cr == fmt.Sprintf("bytes %d-%d/%d", start, end, size) &&
		start == offset && size == total && end == total-1
}

// A meta is the content of a NAME.part.meta sidecar.
type meta struct {
	URL          string `json:"url"`
	Name         string `json:"name"`
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
	Length       int64  `json:"length"`
}

func (p *partial) meta(url, name string) meta {
	return meta{URL: url, Name: name, ETag: p.etag, LastModified: p.lastModified, Length: p.total}
}

// writeMeta writes the sidecar of the part of the file name in dir.
func writeMeta(dir string, m meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	f, err := openFile(filepath.Join(dir, m.Name+metaSuffix), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// removeMeta removes the sidecar of name in dir, if there is one.
func removeMeta(dir, name string) error {
	err := os.Remove(filepath.Join(dir, name+metaSuffix))
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}

// A resumeEntry is a partial file found in the output directory.
type resumeEntry struct {
	name string
	part partial
}

// scanParts finds the partial files in dir that a sidecar makes resumable,
// by URL. Sidecars that cannot be read or do not match their part are
// ignored: those downloads start over.
func scanParts(dir string) (map[string]resumeEntry, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	found := make(map[string]resumeEntry)
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), metaSuffix)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		if m, size, ok := readMeta(dir, name); ok {
			found[m.URL] = resumeEntry{name: name, part: partial{
				offset: size, etag: m.ETag, lastModified: m.LastModified, total: m.Length,
			}}
		}
	}
	return found, nil
}

// maxMeta bounds the size of a sidecar that is read.
const maxMeta = 64 << 10

// readMeta reads the sidecar of name in dir and the size of its part, and
// reports whether together they describe a resumable download.
func readMeta(dir, name string) (m meta, size int64, ok bool) {
	f, err := openFile(filepath.Join(dir, name+metaSuffix), os.O_RDONLY, 0)
	if err != nil {
		return m, 0, false
	}
	b, err := io.ReadAll(io.LimitReader(f, maxMeta+1))
	f.Close()
	if err != nil || len(b) > maxMeta || json.Unmarshal(b, &m) != nil {
		return m, 0, false
	}
	fi, err := os.Lstat(filepath.Join(dir, name+partSuffix))
	if err != nil || !fi.Mode().IsRegular() {
		return m, 0, false
	}
	p := partial{offset: fi.Size(), etag: m.ETag, lastModified: m.LastModified, total: m.Length}
	return m, fi.Size(), m.Name == name && sanitizeName(name) == name && checkURL(m.URL) == nil && p.resumable()
}

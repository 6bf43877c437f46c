package fetch

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Errors of bad input. Fetch and ParseList return them, wrapped with the
// offending value, before anything is downloaded.
var (
	// ErrInvalidURL: a URL that does not parse, is not absolute, has no
	// host, or whose scheme is not http or https.
	ErrInvalidURL = errors.New("fetch: invalid URL")

	// ErrInvalidName: an output name given with a request that is not a
	// plain file name (see Request.Name).
	ErrInvalidName = errors.New("fetch: invalid file name")

	// ErrInvalidChecksum: a checksum given with a request that is not 64
	// hexadecimal digits.
	ErrInvalidChecksum = errors.New("fetch: invalid sha256 checksum")

	// ErrInvalidList: a line of a list that ParseList cannot read, for a
	// reason other than the three above (too many fields, say).
	ErrInvalidList = errors.New("fetch: invalid list")

	// ErrInvalidDir: Downloader.Dir is missing, not a directory, or not
	// writable.
	ErrInvalidDir = errors.New("fetch: unusable output directory")
)

// Errors of one download, found in Result.Err.
var (
	// ErrChecksum: the file downloaded completely but its SHA-256 is not
	// the one the request gave. The partial file is deleted; the download
	// is not retried, as the server would most likely send the same bytes.
	ErrChecksum = errors.New("fetch: checksum mismatch")

	// ErrShortBody: the connection ended before the body reached its
	// announced length (Content-Length or Content-Range). The download is
	// retried, resuming where it stopped if the server allows.
	ErrShortBody = errors.New("fetch: body ended before its announced length")

	// ErrStalled: no byte of the body arrived for Downloader.Timeout. The
	// download is retried.
	ErrStalled = errors.New("fetch: transfer stalled")

	// ErrRedirectLoop: a redirect led back to a URL already visited for
	// the same request. It is not retried.
	ErrRedirectLoop = errors.New("fetch: redirect loop")

	// ErrTooManyRedirects: the server redirected more than 10 times in a
	// row. It is not retried.
	ErrTooManyRedirects = errors.New("fetch: too many redirects")

	// ErrRedirectScheme: the server redirected to a URL whose scheme is
	// not http or https, such as file:. It is not retried.
	ErrRedirectScheme = errors.New("fetch: redirect to a scheme other than http or https")

	// ErrBadResponse: the server answered in a way HTTP does not allow
	// for the request, such as a partial response to a request for the
	// whole file, or a body longer than its headers announce. Nothing
	// of such a response is kept. It is retried, as a broken proxy may be
	// to blame.
	ErrBadResponse = errors.New("fetch: malformed response")
)

// ErrNotRegularFile: a file that the download writes or reads in Dir,
// such as NAME.part or NAME.part.meta, is a symbolic link, a named pipe
// or anything else but a regular file. Fetch does not follow or open it,
// so that a planted link cannot make it write elsewhere, nor a pipe block
// it; the error names the file and says what it is. It is not retried.
var ErrNotRegularFile = errors.New("fetch: not a regular file")

// ErrExists: a file is already in Dir under the download's final name,
// and the Downloader may not replace it: Overwrite is not set, and
// Continue, if set, did not find the file complete. The file is left as
// it is, and the download fails without being retried; the error names
// the file.
var ErrExists = errors.New("fetch: file already exists")

// A StatusError is the error of a download whose server answered with a
// status other than 200 OK or 206 Partial Content. Codes 408, 429 and 5xx
// are retried; others are final.
type StatusError struct {
	Code   int    // the HTTP status code, such as 404
	Status string // the status line's text, such as "404 Not Found"

	// RetryAfter is the wait the server asked for with a Retry-After
	// header, or 0 if it asked for none.
	RetryAfter time.Duration
}

// Error returns "fetch: HTTP ", the status, and the wait the server asked
// for, if any.
func (e *StatusError) Error() string {
	status := e.Status
	if status == "" {
		status = fmt.Sprintf("%d %s", e.Code, http.StatusText(e.Code))
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("fetch: HTTP %s (server asks to retry after %v)", status, e.RetryAfter)
	}
	return "fetch: HTTP " + status
}

// Temporary reports whether the status says the request may succeed if it
// is made again later: 408, 429 and 5xx.
func (e *StatusError) Temporary() bool {
	return e.Code == http.StatusRequestTimeout || e.Code == http.StatusTooManyRequests || e.Code >= 500
}

package fetch

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// maxRedirects is how many redirects in a row a request follows.
const maxRedirects = 10

// newTransport returns the transport of a Downloader without a Client of
// its own: HTTP/1.1 keep-alive with an idle connection kept for each of
// conns concurrent downloads to one host (net/http keeps only two by
// default, so most connections would be closed and dialled again after
// each file), timeout bounding the dial, the TLS handshake and the wait
// for response headers, and no transparent gzip, so that the file saved is
// the file served and Range offsets count its bytes.
func newTransport(conns int, timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          max(100, 2*conns),
		MaxIdleConnsPerHost:   conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
}

// checkRedirect is the redirect policy: follow up to maxRedirects
// redirects to http and https URLs, and stop at once at a URL already
// visited, which would only lead round the same loop again, or at one of
// another scheme: net/http could not follow it, and its error for that
// would look like a network failure worth retrying.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if s := req.URL.Scheme; s != "http" && s != "https" {
		return fmt.Errorf("%w: %s redirects to a %q URL", ErrRedirectScheme, via[len(via)-1].URL, s)
	}
	for _, v := range via {
		if v.URL.String() == req.URL.String() {
			return fmt.Errorf("%w: %s leads back to %s", ErrRedirectLoop, via[len(via)-1].URL, req.URL)
		}
	}
	if len(via) > maxRedirects { // via holds the first request too
		return fmt.Errorf("%w: stopped after %d redirects", ErrTooManyRedirects, maxRedirects)
	}
	return nil
}

// drainMax is the most of an error response's body that is read so that
// its connection can be used again; a longer body closes the connection.
const drainMax = 64 << 10

// do sends req and returns the response. A response other than 200 or 206
// has its body read (up to drainMax) and closed here, on the worker, so
// that a failed request gives its connection back for the next.
func do(c *http.Client, req *http.Request) (*http.Response, error) {
	resp, err := c.Do(req)
	if err != nil {
		// With a CheckRedirect error, resp is the last redirect, closed.
		return nil, err
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent {
		io.CopyN(io.Discard, resp.Body, drainMax)
		resp.Body.Close()
		resp.Body = http.NoBody
	}
	return resp, nil
}

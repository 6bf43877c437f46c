package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Backoff between attempts: full jitter, a random wait between zero and
// backoffBase·2^(n-1) before retry n, the cap included. Full jitter
// spreads the retries of many downloads that failed together, such as
// when a server restarts, instead of sending them back in a herd.
const (
	backoffBase = 250 * time.Millisecond
	backoffCap  = 30 * time.Second

	// maxRetryAfter is the longest Retry-After that is waited for; a
	// server asking for more makes the download fail instead of hanging
	// the run for that long.
	maxRetryAfter = 5 * time.Minute
)

// backoff returns the wait before retry n (1 for the first retry) after
// err: what a StatusError's Retry-After asks for if anything, else a random
// wait drawn from rnd.
func backoff(n int, err error, rnd *rand.Rand) time.Duration {
	if se, ok := errors.AsType[*StatusError](err); ok && se.RetryAfter > 0 {
		return se.RetryAfter
	}
	limit := backoffCap
	if n < 20 {
		limit = min(backoffCap, backoffBase<<(n-1))
	}
	return time.Duration(rnd.Int64N(int64(limit) + 1))
}

// parseRetryAfter reads a Retry-After header: a number of seconds, or an
// HTTP date, counted from the response's Date header if it has one (so
// that clock skew between server and client does not matter) or from now.
// It returns 0 for a missing or malformed header, or a date in the past.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(min(secs, 1<<31)) * time.Second // no overflow
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		now = date
	}
	return max(at.Sub(now), 0)
}

// A retryableError marks an error after which the attempt may be repeated.
type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// retryable returns err marked as worth another attempt.
func retryable(err error) error { return &retryableError{err} }

// isRetryable reports whether the download may be attempted again after
// err.
func isRetryable(err error) bool {
	if se, ok := errors.AsType[*StatusError](err); ok {
		return se.Temporary() && se.RetryAfter <= maxRetryAfter
	}
	_, ok := errors.AsType[*retryableError](err)
	return ok
}

// classifyNetError marks an error of the network (sending the request or
// reading the body) as retryable, unless retrying cannot help: a redirect
// that the policy refuses, a certificate the client rejects, or a host
// name that does not exist. It returns nil for nil.
func classifyNetError(err error) error {
	if err == nil {
		return nil
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case redirectRefused(err):
		if ue, ok := err.(*url.Error); ok {
			return ue.Err // which names both URLs; url.Error repeats one
		}
		return err
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr),
		errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return err
	}
	return retryable(err)
}

// redirectRefused reports whether err is checkRedirect's.
func redirectRefused(err error) bool {
	return errors.Is(err, ErrRedirectLoop) || errors.Is(err, ErrTooManyRedirects) || errors.Is(err, ErrRedirectScheme)
}

// canceled reports whether err is the cancellation of ctx, which is never
// retried.
func canceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil && errors.Is(err, context.Canceled)
}

package fetch

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Saving a body runs on a worker goroutine: it streams the body to
// NAME.part through a fixed buffer, hashing as it goes, so memory stays
// flat whatever the file's size, and renames the part to NAME only once it
// is complete and verified. Nothing on this path touches the loop's state;
// progress reaches the loop through CallSoonThreadsafe.

// bufSize is the size of the copy buffer: large reads mean few system calls
// per megabyte, on the socket and on the file.
const bufSize = 256 << 10

var buffers = sync.Pool{New: func() any { return new([bufSize]byte) }}

// A save is what a worker needs to save one response body. It is a copy
// of the download's state, made on the loop, so that the worker shares
// nothing with it.
type save struct {
	dir, name string
	url       string
	part      partial // offset > 0: the body continues the part
	hadMeta   bool    // a sidecar may exist from before and must go or stay
	want      string  // the expected SHA-256 in hex, or ""
	hash      bool    // compute the SHA-256, even with no want
	overwrite bool    // the file may replace one already under its name
	timeout   time.Duration
	limiter   *rate.Limiter // nil: no rate limit
	progress  func(written int64)
}

// A saved tells how saving went.
type saved struct {
	size int64  // bytes in the part, or in the file once complete
	sum  string // the SHA-256 of the complete file, in hex
	keep bool   // on failure: the part's size may be resumed from
	err  error  // why it failed, as onPool sees it
}

// run saves body, which it closes; stall cancels the request's context with
// a cause. On success the file is complete, verified and renamed.
func (s *save) run(ctx context.Context, stall context.CancelCauseFunc, body io.ReadCloser) (saved, error) {
	defer body.Close()
	part := filepath.Join(s.dir, s.name+partSuffix)
	f, h, err := s.open(part)
	if err != nil {
		return saved{}, err
	}
	n, err := s.copy(ctx, stall, f, h, body)
	size := s.part.offset + n
	if errors.Is(err, ErrBadResponse) {
		// The body ran past its end: none of it is trusted, neither by
		// the next attempt nor, should this be the last, by the next run,
		// which takes the part's size for what it holds.
		size = s.part.offset
		if terr := f.Truncate(size); terr != nil {
			err = &writeError{terr}
		}
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		_, isWrite := errors.AsType[*writeError](err)
		return saved{size: size, keep: !isWrite}, err
	}
	if s.part.total >= 0 && size != s.part.total {
		// copy reads no further than the total: size is short of it.
		return saved{size: size, keep: true},
			retryable(fmt.Errorf("%w: got %d of %d bytes", ErrShortBody, size, s.part.total))
	}
	var sum string
	if h != nil {
		sum = hex.EncodeToString(h.Sum(nil))
	}
	if s.want != "" && sum != s.want {
		os.Remove(part)
		removeMeta(s.dir, s.name)
		return saved{}, fmt.Errorf("%w: got sha256 %s, want %s", ErrChecksum, sum, s.want)
	}
	// Sidecar first: a crash between the two leaves a part without one,
	// which starts over, rather than a sidecar without its part.
	if err := removeMeta(s.dir, s.name); err != nil {
		return saved{}, err
	}
	if err := publish(part, filepath.Join(s.dir, s.name), s.overwrite); err != nil {
		return saved{}, err
	}
	return saved{size: size, sum: sum}, nil
}

// open opens the part: truncated when the body starts the file, or, when
// it continues the part, positioned at its end with the part's bytes
// already hashed. It writes or removes the sidecar as the new body needs.
// The hash is nil if the file is not to be hashed.
func (s *save) open(part string) (*os.File, hash.Hash, error) {
	var h hash.Hash
	if s.hash || s.want != "" {
		h = sha256.New()
	}
	if s.part.offset > 0 {
		f, err := openFile(part, os.O_RDWR, 0)
		if err != nil {
			return nil, nil, err
		}
		if err := hashPrefix(h, f, s.part.offset); err != nil {
			f.Close()
			return nil, nil, err
		}
		if _, err := f.Seek(s.part.offset, io.SeekStart); err != nil {
			f.Close()
			return nil, nil, err
		}
		if err := f.Truncate(s.part.offset); err != nil {
			f.Close()
			return nil, nil, err
		}
		return f, h, nil
	}
	if s.hadMeta {
		if err := removeMeta(s.dir, s.name); err != nil {
			return nil, nil, err
		}
	}
	f, err := openFile(part, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, nil, err
	}
	if s.part.worthMeta() {
		if err := writeMeta(s.dir, s.part.meta(s.url, s.name)); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return f, h, nil
}

// hashPrefix hashes the first n bytes of f into h, if h is not nil.
func hashPrefix(h hash.Hash, f *os.File, n int64) error {
	if h == nil {
		return nil
	}
	buf := buffers.Get().(*[bufSize]byte)
	defer buffers.Put(buf)
	_, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, n), buf[:])
	return err
}

// A writeError is a failure to write the part: the disk's fault, not the
// network's, so the attempt is not retried and the part is not trusted.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

// copy streams body into f and h and returns how many bytes it wrote. If
// no byte arrives for s.timeout, it calls stall, which ends the body's
// read; waits for the rate limit do not count as stalls.
//
// When the file's length is known, copy writes no byte past it, and a
// body that goes on is a retryable ErrBadResponse: a server that sends
// more than it announced cannot be trusted to have sent the right bytes
// before. Looking one byte further, rather than just stopping, is what
// tells such a body from one that ends where it should.
func (s *save) copy(ctx context.Context, stall context.CancelCauseFunc, f *os.File, h hash.Hash, body io.Reader) (int64, error) {
	buf := buffers.Get().(*[bufSize]byte)
	defer buffers.Put(buf)
	size := len(buf)
	if s.limiter != nil {
		size = s.limiter.Burst()
	}
	want := int64(-1) // bytes the body should hold, or -1 if unknown
	if s.part.total >= 0 {
		want = s.part.total - s.part.offset
	}
	timer := time.AfterFunc(s.timeout, func() {
		stall(fmt.Errorf("%w: no data for %v", ErrStalled, s.timeout))
	})
	defer timer.Stop()
	var n int64
	var tick ticker
	pre := newPrealloc(f, s.part.offset, s.part.total)
	for {
		// Each read stops at a multiple of size in the file, so that
		// after the first, short one (the rest of what came with the
		// headers) the writes start on page boundaries and no page of the
		// file is written in two pieces, by two system calls.
		chunk := buf[:size-int((s.part.offset+n)%int64(size))]
		if want >= 0 && want-n < int64(len(chunk)) {
			chunk = buf[:max(want-n, 1)]
		}
		m, rerr := body.Read(chunk)
		if want >= 0 && n+int64(m) > want {
			return n, retryable(fmt.Errorf("%w: the body runs past the %d bytes announced", ErrBadResponse, want))
		}
		if m > 0 {
			timer.Reset(s.timeout)
			pre.before(s.part.offset + n + int64(m))
			if _, err := f.Write(chunk[:m]); err != nil {
				return n, &writeError{err}
			}
			if h != nil {
				h.Write(chunk[:m])
			}
			n += int64(m)
			if s.progress != nil && tick.due() {
				s.progress(s.part.offset + n)
			}
			if s.limiter != nil {
				timer.Stop()
				if err := s.limiter.WaitN(ctx, m); err != nil {
					return n, cmp.Or(ctx.Err(), err)
				}
				timer.Reset(s.timeout)
			}
		}
		if rerr == io.EOF {
			if s.progress != nil {
				s.progress(s.part.offset + n)
			}
			return n, nil
		}
		if rerr != nil {
			return n, s.readError(ctx, rerr, n)
		}
	}
}

// readError explains why reading the body failed after n bytes.
func (s *save) readError(ctx context.Context, err error, n int64) error {
	if cause := context.Cause(ctx); errors.Is(cause, ErrStalled) {
		return retryable(cause)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, io.ErrUnexpectedEOF) && s.part.total >= 0 {
		return retryable(fmt.Errorf("%w: got %d of %d bytes", ErrShortBody, s.part.offset+n, s.part.total))
	}
	return classifyNetError(err)
}

package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/goasyncio/asyncio"
)

// One download is one task. It takes a slot of its host (PerHost) and then
// one of the run (Jobs), in that order so that a task waiting for its host
// holds no slot that a download from another host could use, and makes
// attempts until one succeeds or fails for good. Between attempts it gives
// its slots back and sleeps on the loop's clock. Each attempt:
//
//  1. on a worker: sends the request, with Range and If-Range to resume a
//     part, and reads the response headers;
//  2. on the loop: judges the status, settles the file name, decides
//     whether the body resumes the part or starts it over;
//  3. on a worker: saves the body (see save.run).

// A job is the loop's state of one download.
type job struct {
	index    int
	req      Request
	u        *url.URL
	host     string
	name     string // the reserved file name
	base     string // the name name was made from, before a collision suffix
	named    bool   // name is final: from the request, a part or a response
	part     partial
	hadMeta  bool // a sidecar may exist in the directory
	attempts int
	start    time.Duration // when the first attempt started, on the loop's clock
	written  int64         // bytes saved so far, as events report them
	done     bool
}

func (j *job) setName(name, base string, final bool) {
	j.name, j.base, j.named = name, base, final
}

// event returns an event of kind k about j.
func (j *job) event(k EventKind, r *run) Event {
	e := Event{Kind: k, Index: j.index, URL: j.req.URL, Attempt: j.attempts, Written: j.written, Total: j.part.total}
	if j.named {
		e.Path = r.path(j.name)
	}
	return e
}

// download makes the attempts of j and returns its result.
func (r *run) download(ctx context.Context, j *job) (res Result) {
	res.Request = j.req
	defer func() {
		j.done = true
		res.Attempts = j.attempts
		if j.attempts > 0 {
			res.Elapsed = r.loop.Time() - j.start
		}
		if res.Err == nil {
			j.written = res.Bytes
		}
		if j.named {
			res.Path = r.path(j.name)
		}
		e := j.event(EventDone, r)
		e.Result = &res
		r.emit(e)
	}()
	if j.named {
		// The name is known: look before sending anything.
		sk, err := r.checkFinal(ctx, j)
		if err != nil {
			res.Err = err
			return res
		}
		if sk.Skipped {
			return sk
		}
	}
	for {
		out, err := r.attempt(ctx, j)
		if err == nil {
			out.Request = j.req
			return out
		}
		res.Err = err
		if canceled(ctx, err) || !isRetryable(err) || j.attempts > r.d.Retries {
			return res
		}
		delay := backoff(j.attempts, err, r.rand)
		// What the next attempt resumes from: not the part's size if it
		// cannot be resumed, nor a count from before the attempt dropped it.
		j.written = j.part.kept()
		e := j.event(EventRetry, r)
		e.Delay, e.Err = delay, err
		r.emit(e)
		if err := asyncio.Sleep(ctx, delay); err != nil {
			res.Err = err
			return res
		}
	}
}

// attempt takes the slots and makes one attempt.
func (r *run) attempt(ctx context.Context, j *job) (Result, error) {
	if hs := r.hostSlots(j.host); hs != nil {
		if err := hs.Acquire(ctx); err != nil {
			return Result{}, err
		}
		defer hs.Release()
	}
	if err := r.slots.Acquire(ctx); err != nil {
		return Result{}, err
	}
	defer r.slots.Release()
	j.attempts++
	if j.attempts == 1 {
		j.start = r.loop.Time()
	}
	// The request's own context, which a stalled body cancels.
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	j.written = j.part.kept()
	r.emit(j.event(EventRequest, r))
	resp, err := r.send(actx, j)
	if err != nil {
		return Result{}, err
	}
	if r.settleName(j, resp) {
		if sk, err := r.checkFinal(ctx, j); err != nil || sk.Skipped {
			resp.Body.Close()
			return sk, err
		}
	}
	j.written = j.part.offset
	r.emit(j.event(EventResponse, r))
	return r.saveBody(ctx, actx, cancel, j, resp)
}

// send sends j's request and returns a response whose body is j's file
// from j.part.offset on. A part that the server will not continue is
// dropped, and the whole file asked for.
func (r *run) send(ctx context.Context, j *job) (*http.Response, error) {
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.req.URL, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("User-Agent", "aiofetch")
		resuming := j.part.resumable()
		j.part.offset = j.part.kept()
		j.part.setRange(req)
		resp, err := onPool(ctx, r.pool, func() (*http.Response, error) { return do(r.client, req) })
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, err
		case err != nil:
			return nil, classifyNetError(err)
		case resp.StatusCode == http.StatusOK:
			j.part.learn(resp.Header, resp.ContentLength)
			return resp, nil
		case resp.StatusCode == http.StatusPartialContent && resuming:
			ok, err := j.part.continuedBy(resp)
			if ok {
				return resp, nil
			}
			resp.Body.Close()
			if err != nil {
				return nil, err
			}
			// Not the rest of the file we have: ask for all of it.
			j.part = partial{total: -1}
		case resuming && resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
			resp.Body.Close()
			j.part = partial{total: -1}
		case resp.StatusCode == http.StatusPartialContent:
			resp.Body.Close()
			return nil, retryable(fmt.Errorf("%w: 206 Partial Content to a request without Range", ErrBadResponse))
		default:
			return nil, &StatusError{
				Code:       resp.StatusCode,
				Status:     resp.Status,
				RetryAfter: parseRetryAfter(resp.Header, time.Now()),
			}
		}
	}
}

// settleName fixes j's file name from its first good response, a name
// from Content-Disposition replacing the one the URL suggested, and
// reports whether it did: false if the name was final already.
func (r *run) settleName(j *job, resp *http.Response) bool {
	if j.named {
		return false
	}
	if base := responseName(resp.Header, j.u); base != j.base {
		r.names.release(j.name)
		j.name, j.base = r.names.reserve(base), base
	}
	j.named = true
	return true
}

// checkFinal looks, on a worker, at the file already under j's final
// name, as finalFile says.
func (r *run) checkFinal(ctx context.Context, j *job) (Result, error) {
	if r.d.Overwrite && !r.d.Continue {
		return Result{}, nil // whatever is there, the download goes on
	}
	p, req, cont, overwrite := r.path(j.name), j.req, r.d.Continue, r.d.Overwrite
	return onPool(ctx, r.pool, func() (Result, error) {
		return finalFile(p, req, cont, overwrite)
	})
}

// saveBody saves the body of resp on a worker and records the outcome in j.
func (r *run) saveBody(ctx, actx context.Context, stall context.CancelCauseFunc, j *job, resp *http.Response) (Result, error) {
	s := &save{
		dir: r.dir, name: j.name, url: j.req.URL,
		part: j.part, hadMeta: j.hadMeta, want: j.req.SHA256, hash: !r.d.SkipSHA256, overwrite: r.d.Overwrite,
		timeout: r.timeout, limiter: r.limiter,
	}
	if s.part.worthMeta() {
		j.hadMeta = true
	}
	if r.d.OnEvent != nil {
		s.progress = func(written int64) {
			// On the worker: hand the count to the loop.
			r.loop.CallSoonThreadsafe(func() {
				if !j.done {
					j.written = written
					r.emit(j.event(EventProgress, r))
				}
			})
		}
	}
	// A failed save still tells what the part keeps, so the error travels
	// in the value: a future's value is lost when it fails.
	out, err := onPool(ctx, r.pool, func() (saved, error) {
		out, err := s.run(actx, stall, resp.Body)
		out.err = err
		return out, nil
	})
	if err == nil {
		err = out.err
	}
	if err != nil {
		if errors.Is(err, asyncio.ErrCancelled) {
			return Result{}, err
		}
		j.part.offset = 0
		if out.keep {
			j.part.offset = out.size
		}
		j.written = j.part.offset
		return Result{}, err
	}
	j.hadMeta = false
	return Result{Path: r.path(j.name), Bytes: out.size, SHA256: out.sum}, nil
}

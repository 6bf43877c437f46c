package fetch

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/time/rate"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/futures"
)

// Defaults of a Downloader's zero fields.
const (
	DefaultJobs    = 8
	DefaultTimeout = 30 * time.Second
)

// A Downloader downloads files over HTTP into a directory, many at once,
// with retries, resumption and verification. Its fields configure it; the
// zero Downloader is ready to use, and a Downloader may be used for many
// calls to Fetch, but its fields must not change while one runs.
type Downloader struct {
	// Dir is the directory the files are saved in; "" means the current
	// directory. It must exist and be writable.
	Dir string

	// Jobs is how many downloads run at once; 0 or less means
	// DefaultJobs, and 1 downloads one file after the other.
	Jobs int

	// PerHost is how many downloads from one host (name and port) run at
	// once; 0 or less means no limit other than Jobs.
	PerHost int

	// Retries is how many times a download is attempted again after an
	// attempt fails for a reason that may pass: a network error, a stalled
	// or short body, a timeout, or HTTP status 408, 429 or 5xx. The waits
	// between attempts grow exponentially, with random jitter, unless the
	// server asks for a wait with Retry-After (up to 5 minutes; a server
	// asking for more fails the download). 0 or less means one attempt.
	Retries int

	// Timeout bounds the wait for a connection and the response's headers,
	// and the time the body may go without a byte arriving; 0 or less
	// means DefaultTimeout. It does not bound a download that keeps moving.
	Timeout time.Duration

	// RateLimit bounds the bytes per second of all downloads together;
	// 0 or less means no limit.
	RateLimit int64

	// Continue skips a download whose file is already in Dir: complete
	// under its final name, and with the request's checksum, if it has
	// one. Whether a file that Continue does not skip is replaced is up
	// to Overwrite.
	Continue bool

	// Overwrite lets a download replace a file already in Dir under its
	// final name, one that Continue, if set, did not skip. Without
	// Overwrite no such file is replaced: the download fails with
	// ErrExists as soon as its name is known, before anything is saved.
	// A file that takes the name while the download runs is not replaced
	// either: the complete download takes the name in one step that
	// fails if it is taken.
	Overwrite bool

	// SkipSHA256 spares hashing the files whose request gives no
	// checksum: their Result.SHA256 is "". Hashing costs about as much
	// processor time as the rest of a download over a fast link (crypto/sha256
	// hashes 1.6 GB/s on one core with SHA-NI), so a caller that does not
	// read Result.SHA256 may skip it. A file whose request gives a
	// checksum is hashed and verified all the same.
	SkipSHA256 bool

	// Client sends the requests; nil means a client made for Jobs and
	// Timeout. A Client whose CheckRedirect is nil gets Fetch's redirect
	// policy: up to 10 redirects, and none back to a URL already visited.
	Client *http.Client

	// OnEvent, if not nil, is told how each download goes (see Event). It
	// is called on the loop's goroutine, so it may share state with the
	// caller's tasks without locks; it must return quickly, and must not
	// await.
	OnEvent func(Event)

	rand *rand.Rand // the jitter of backoffs; tests make it reproducible
}

// A Result is the outcome of one request.
type Result struct {
	Request Request

	// Path is the file the download was saved to, or would have been: it
	// is "" if the download failed before its name was known.
	Path string

	Bytes    int64         // the size of the file
	SHA256   string        // its SHA-256 in hex; "" if its request had no checksum and the file was skipped, or SkipSHA256 is set
	Attempts int           // the attempts made; 0 for a file skipped before any request
	Elapsed  time.Duration // from the first attempt's start to the end, on the loop's clock
	Skipped  bool          // Continue found the file complete, and nothing was downloaded

	// Err is why the download failed, or nil if the file is complete. If
	// it failed after its body began, the partial file NAME.part is left
	// in Dir, and a later Fetch resumes it where the server allows.
	Err error
}

// Fetch downloads the files that reqs name into d.Dir and returns one
// Result for each request, in the order of reqs. Downloads run as tasks on
// the loop of the task that calls Fetch, and their blocking work (network
// and disk) on a pool of Jobs goroutines; Fetch returns once every
// download is over.
//
// Fetch checks every request and the directory before it downloads
// anything: if one is bad it returns an error matching ErrInvalidURL,
// ErrInvalidName, ErrInvalidChecksum or ErrInvalidDir, and no results. A
// download that fails does not stop the others: its Result's Err says why.
// If the calling task is cancelled, the downloads stop promptly, leaving
// only partial files (NAME.part), never an incomplete file under its final
// name, and Fetch returns an error matching asyncio.ErrCancelled along with
// the results, those of unfinished downloads with errors matching
// context.Canceled.
//
// Fetch must be called from a task of a running loop; it panics with an
// error matching asyncio.ErrNoRunningLoop otherwise.
func (d *Downloader) Fetch(ctx context.Context, reqs []Request) ([]Result, error) {
	loop, err := asyncio.GetRunningLoop(ctx)
	if err != nil {
		panic(fmt.Errorf("fetch: Downloader.Fetch called outside a task: %w", err))
	}
	reqs, err = validateAll(reqs)
	if err != nil {
		return nil, err
	}
	r := d.newRun(loop)
	defer r.close()
	parts, err := onPool(ctx, r.pool, func() (map[string]resumeEntry, error) {
		if err := checkDir(r.dir); err != nil {
			return nil, err
		}
		return scanParts(r.dir)
	})
	if err != nil {
		return nil, err
	}
	return r.fetchAll(ctx, r.plan(reqs, parts))
}

// validateAll returns reqs checked and normalized, or the first problem.
func validateAll(reqs []Request) ([]Request, error) {
	out := make([]Request, len(reqs))
	for i, req := range reqs {
		var err error
		if out[i], err = req.normalize(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkDir reports why dir cannot hold the downloads, or nil.
func checkDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return fmt.Errorf("%w: %v", ErrInvalidDir, err)
	case !fi.IsDir():
		return fmt.Errorf("%w: %s is not a directory", ErrInvalidDir, dir)
	}
	probe, err := os.CreateTemp(dir, ".aiofetch-probe-*")
	if err != nil {
		return fmt.Errorf("%w: cannot create files in %s: %v", ErrInvalidDir, dir, err)
	}
	probe.Close()
	return os.Remove(probe.Name())
}

// A run is the state of one call to Fetch. Its fields belong to the loop,
// except the pool, client and limiter, which the workers use too.
type run struct {
	d       *Downloader
	loop    *asyncio.Loop
	dir     string
	jobs    int
	timeout time.Duration
	pool    *futures.ThreadPoolExecutor
	client  *http.Client
	ownT    *http.Transport // the transport Fetch made, to close when done
	limiter *rate.Limiter
	slots   *asyncio.Semaphore            // Jobs
	hosts   map[string]*asyncio.Semaphore // PerHost, by host
	names   nameSet
	rand    *rand.Rand
}

func (d *Downloader) newRun(loop *asyncio.Loop) *run {
	r := &run{
		d:       d,
		loop:    loop,
		dir:     cmp.Or(d.Dir, "."),
		jobs:    cmp.Or(max(d.Jobs, 0), DefaultJobs),
		timeout: cmp.Or(max(d.Timeout, 0), DefaultTimeout),
		hosts:   make(map[string]*asyncio.Semaphore),
		names:   make(nameSet),
		rand:    d.rand,
	}
	// One worker per download, and one for the odd file system check of
	// a download waiting for its turn.
	r.pool = futures.NewThreadPool(r.jobs + 1)
	r.slots = asyncio.NewSemaphore(r.jobs)
	if d.Client != nil {
		c := *d.Client
		if c.CheckRedirect == nil {
			c.CheckRedirect = checkRedirect
		}
		r.client = &c
	} else {
		r.ownT = newTransport(r.jobs, r.timeout)
		r.client = &http.Client{Transport: r.ownT, CheckRedirect: checkRedirect}
	}
	if d.RateLimit > 0 {
		burst := int(min(max(d.RateLimit/4, 4<<10), bufSize))
		r.limiter = rate.NewLimiter(rate.Limit(d.RateLimit), burst)
	}
	if r.rand == nil {
		r.rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return r
}

// close waits for the workers and closes the idle connections. It blocks
// the loop, but only at the end of Fetch, when every download is over:
// workers of cancelled downloads finish promptly, since their requests'
// contexts are cancelled, and the wait makes sure that no worker still
// writes a file once Fetch has returned.
func (r *run) close() {
	r.pool.Shutdown(true)
	if r.ownT != nil {
		r.ownT.CloseIdleConnections()
	}
}

// hostSlots returns the semaphore bounding the downloads from host, or nil
// if PerHost sets no tighter bound than Jobs.
func (r *run) hostSlots(host string) *asyncio.Semaphore {
	if r.d.PerHost <= 0 || r.d.PerHost >= r.jobs {
		return nil
	}
	s := r.hosts[host]
	if s == nil {
		s = asyncio.NewSemaphore(r.d.PerHost)
		r.hosts[host] = s
	}
	return s
}

// maxLive bounds the download tasks alive at once, most of them waiting
// for a slot, so that a list of a million URLs does not make a million
// tasks. It is generous, so that downloads from a host held back by
// PerHost rarely keep those of another host from starting.
func maxLive(jobs int) int { return max(1024, 4*jobs) }

// fetchAll runs the jobs as tasks and collects their results.
func (r *run) fetchAll(ctx context.Context, jobs []*job) ([]Result, error) {
	results := make([]Result, len(jobs))
	for i, j := range jobs {
		// What a download that never starts reports.
		results[i] = Result{Request: j.req, Err: asyncio.ErrCancelled}
	}
	live := asyncio.NewSemaphore(maxLive(r.jobs))
	err := asyncio.Group(ctx, func(ctx context.Context, g *asyncio.TaskGroup) error {
		for i, j := range jobs {
			if err := live.Acquire(ctx); err != nil {
				return err
			}
			g.Go(func(ctx context.Context) error {
				defer live.Release()
				results[i] = r.download(ctx, j)
				return nil // a failed download is a result, not the group's failure
			})
		}
		return nil
	})
	return results, err
}

// plan makes the jobs of reqs and reserves their names in order: first the
// names the requests give, then those of partial files to resume, then
// those their URLs suggest, which a Content-Disposition may still change.
func (r *run) plan(reqs []Request, parts map[string]resumeEntry) []*job {
	jobs := make([]*job, len(reqs))
	for i, req := range reqs {
		u, _ := url.Parse(req.URL) // validated
		jobs[i] = &job{index: i, req: req, u: u, host: hostKey(u), part: partial{total: -1}}
		if req.Name != "" {
			jobs[i].setName(r.names.reserve(req.Name), req.Name, true)
		}
	}
	for _, j := range jobs {
		e, ok := parts[j.req.URL]
		if !ok || (j.named && j.name != e.name) || (!j.named && !r.names.free(e.name)) {
			continue
		}
		delete(parts, j.req.URL) // a URL listed twice resumes once
		if !j.named {
			j.setName(r.names.reserve(e.name), e.name, true)
		}
		j.part, j.hadMeta = e.part, true
	}
	for _, j := range jobs {
		if j.name == "" {
			base := urlName(j.u)
			j.setName(r.names.reserve(base), base, false)
		}
	}
	return jobs
}

// hostKey names the host of u for PerHost: its name and port.
func hostKey(u *url.URL) string {
	port := u.Port()
	switch {
	case port != "":
	case u.Scheme == "https":
		port = "443"
	default:
		port = "80"
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// path returns the path of name in the run's directory.
func (r *run) path(name string) string { return filepath.Join(r.dir, name) }

// emit passes e to OnEvent, if there is one.
func (r *run) emit(e Event) {
	if r.d.OnEvent != nil {
		r.d.OnEvent(e)
	}
}

// onPool runs fn on p and awaits its result.
func onPool[T any](ctx context.Context, p futures.Executor, fn func() (T, error)) (T, error) {
	return asyncio.Await(ctx, asyncio.RunInExecutor(ctx, p, fn))
}

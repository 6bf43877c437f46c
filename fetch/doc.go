// Package fetch downloads many files over HTTP at once, on the loop of
// package asyncio: the practical case of the asyncio tutorial, made into a
// downloader that can be trusted with a long list. cmd/aiofetch is its
// command-line front end.
//
//	d := &fetch.Downloader{Dir: "images", Jobs: 8, Retries: 3}
//	results, err := asyncio.Run(func(ctx context.Context) ([]fetch.Result, error) {
//		return d.Fetch(ctx, []fetch.Request{{URL: "https://example.com/a.png"}})
//	})
//
// # Concurrency
//
// Each request is a task on the loop; the tasks coordinate there, without
// locks, while the blocking work (sending a request, saving a body) runs
// on a pool of Jobs worker goroutines and is awaited. At most Jobs
// downloads run at once, and at most PerHost from one host. A Downloader
// with Jobs set to 1 fetches one file after the other, the tutorial's
// synchronous baseline.
//
// # Files
//
// A body streams to NAME.part through a fixed buffer, so memory stays flat
// whatever the file's size, and is hashed with SHA-256 on the way (unless
// SkipSHA256 spares that for files given no checksum). On Linux the
// part's disk blocks are reserved up to 8 MiB ahead of the data, which
// makes the writes cheaper: the part's size is always what arrived, but a
// part left by a failed download may hold that much more disk. Only a
// complete body, whose checksum matches the request's if it gives one, is
// renamed to NAME; a failed or cancelled download never leaves a file
// under its final name.
//
// Names come from the request, else the response's Content-Disposition,
// else the URL's path. Names from the server or URL are sanitized: no
// directories, no control characters, no invisible formatting characters
// such as bidi overrides, no leading dots, and none ending in ".part" or
// ".part.meta", the names of partial files and their sidecars (such a name
// gets a '_' appended). Two downloads of one call never get the same
// name: the later one gets a numbered name, "photo.1.png".
//
// A file that exists from before under a download's final name is not
// replaced: the download fails with ErrExists, unless Continue finds the
// file complete and skips it, or Overwrite allows replacing it. The check
// is made again when the complete download takes its name, in one step
// with the rename, so that a file made meanwhile is not replaced either.
// No file in Dir is opened through a symbolic link, and none that is not a
// regular file: a link or a named pipe where NAME.part or its sidecar
// should be fails the download with ErrNotRegularFile.
//
// # Failures and resumption
//
// A download is retried after network errors, timeouts, stalled or short
// bodies and HTTP statuses 408, 429 and 5xx, with exponentially growing,
// randomly jittered waits, or the wait the server asks for with
// Retry-After. The waits run on the loop's clock, so tests with
// asyncio.WithVirtualClock take no real time. A retry resumes the part
// with a Range request when the server's validators (a strong ETag or
// Last-Modified, and the length) prove the file unchanged; parts large
// enough to be worth it keep those validators in a NAME.part.meta sidecar,
// so that a later run resumes them too. A partial answer is kept only if
// it carries the part's validators, whatever the server made of If-Range,
// and no more bytes than its Content-Range announces. Anything else
// starts over.
//
// # Progress
//
// A Downloader's OnEvent hears how each download goes (see Event), on the
// loop's goroutine: workers hand their byte counts to the loop with
// Loop.CallSoonThreadsafe, at most every 100ms per download.
//
// # Errors
//
// Bad input (a URL, name, checksum or directory) makes Fetch fail before
// any download starts, with an error matching one of the ErrInvalid
// sentinels. The failure of one download is in its Result, matching
// ErrChecksum, ErrShortBody, ErrStalled, ErrRedirectLoop,
// ErrTooManyRedirects, ErrRedirectScheme, ErrBadResponse, ErrExists,
// ErrNotRegularFile or a *StatusError, or a network or file system error
// of the standard library.
package fetch

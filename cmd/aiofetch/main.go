// Command aiofetch downloads many files over HTTP at once: the practical
// case of the asyncio tutorial, built on packages asyncio and fetch. Run
// "aiofetch -h" for its flags, and "aiofetch --demo" for the tutorial's
// comparison of synchronous and asynchronous downloads.
//
// This package holds the command line, the display and the exit codes;
// the downloading is package fetch's.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/goasyncio/asyncio"
	"github.com/goasyncio/asyncio/debughttp"
	"github.com/goasyncio/asyncio/fetch"
)

// Exit codes.
const (
	exitOK          = 0   // every file downloaded or skipped
	exitFailed      = 1   // some download failed
	exitUsage       = 2   // bad command line, list or directory: nothing was downloaded
	exitInterrupted = 130 // SIGINT or SIGTERM, as a shell reports a death by SIGINT
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	context.AfterFunc(ctx, stop) // the first signal stops the downloads; a second kills at once
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the command: it reads args, downloads, reports, and returns the
// exit code. Cancelling ctx interrupts it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	stderr = &lockedWriter{w: stderr}
	c, err := parseFlags(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if err != nil {
		return failUsage(stderr, err)
	}
	if c.debugAddr != "" {
		srv, err := debughttp.Listen(c.debugAddr)
		if err != nil {
			return failUsage(stderr, badUsage("--debug-addr: %v", err))
		}
		defer srv.Close()
		fmt.Fprintf(stderr, "aiofetch: task tree at http://%s/ (asyncio-ps %d)\n", srv.Addr(), os.Getpid())
	}
	if c.demo {
		return runDemo(ctx, c, stdout, stderr)
	}
	reqs, err := c.requests(stdin)
	if err != nil {
		return failUsage(stderr, err)
	}
	if len(reqs) == 0 {
		return failUsage(stderr, badUsage("the list %s holds no URL", listName(c.list)))
	}
	if c.dir != "" {
		if err := os.MkdirAll(c.dir, 0o755); err != nil {
			return failUsage(stderr, badUsage("cannot make the output directory: %v", err))
		}
	}
	return download(ctx, c, reqs, stdout, stderr)
}

// download fetches reqs as c asks, shows and reports how it went, and
// returns the exit code.
func download(ctx context.Context, c *config, reqs []fetch.Request, stdout, stderr io.Writer) int {
	disp := newDisplay(c, stderr, len(reqs))
	var onEvent func(fetch.Event) // none for --quiet: no progress to compute
	if _, q := disp.(quiet); !q {
		onEvent = disp.event
	}
	d := c.downloader(onEvent)
	start := time.Now()
	var results []fetch.Result
	restoreLog := logTo(disp.lines())
	_, err := asyncio.Run(func(ctx context.Context) (struct{}, error) {
		var err error
		results, err = d.Fetch(ctx, reqs) // kept even if cancelled
		return struct{}{}, err
	}, asyncio.WithContext(ctx))
	restoreLog() // before the display closes: nothing may write to it after
	disp.close()
	switch {
	case ctx.Err() != nil:
		report(c, results, time.Since(start), stdout, stderr)
		fmt.Fprintln(stderr, "aiofetch: interrupted; unfinished files are kept as NAME.part and resume on the next run")
		return exitInterrupted
	case badInput(err):
		return failUsage(stderr, badUsage("%s", trimPkg(err)))
	case err != nil:
		fmt.Fprintf(stderr, "aiofetch: %s\n", escape(err.Error()))
		return exitFailed
	}
	return report(c, results, time.Since(start), stdout, stderr)
}

// badInput reports whether Fetch refused its input.
func badInput(err error) bool {
	for _, target := range []error{fetch.ErrInvalidDir, fetch.ErrInvalidURL, fetch.ErrInvalidName, fetch.ErrInvalidChecksum} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

// downloader returns the Downloader that c asks for.
func (c *config) downloader(onEvent func(fetch.Event)) *fetch.Downloader {
	return &fetch.Downloader{
		Dir:       c.dir,
		Jobs:      c.jobs,
		PerHost:   c.perHost,
		Retries:   c.retries,
		Timeout:   c.timeout,
		RateLimit: int64(c.limitRate),
		Continue:  c.cont,
		Overwrite: c.overwrite,
		// Only the JSON summary shows the SHA-256 of a file that was given
		// no checksum: do not spend the processor time on it otherwise.
		SkipSHA256: !c.json,
		OnEvent:    onEvent,
	}
}

// failUsage reports a usage error and returns its exit code.
func failUsage(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "aiofetch: %s\nRun 'aiofetch -h' for usage.\n", escape(err.Error()))
	return exitUsage
}

// report lists the failures on stderr, sums the run up unless --quiet,
// prints the JSON summary if asked, and returns the exit code.
func report(c *config, results []fetch.Result, took time.Duration, stdout, stderr io.Writer) int {
	var failed, skipped, cancelled int
	var bytes int64
	for _, r := range results {
		switch {
		case interrupted(r.Err):
			cancelled++
		case r.Err != nil:
			failed++
		case r.Skipped:
			skipped++
		default:
			bytes += r.Bytes
		}
	}
	if c.json {
		writeJSON(stdout, results)
	}
	if !c.quiet {
		fmt.Fprintf(stderr, "aiofetch: %d of %d files downloaded, %s in %s (%s/s)",
			len(results)-failed-skipped-cancelled, len(results), size(bytes), seconds(took),
			size(int64(float64(bytes)/max(took.Seconds(), 1e-3))))
		if skipped > 0 {
			fmt.Fprintf(stderr, ", %d skipped", skipped)
		}
		fmt.Fprintln(stderr)
	}
	if failed == 0 {
		return exitOK
	}
	fmt.Fprintf(stderr, "aiofetch: %d failed:\n", failed)
	for _, r := range results {
		if r.Err != nil && !interrupted(r.Err) {
			fmt.Fprintf(stderr, "  %s: %s\n", escape(r.Request.URL), reason(r.Err))
		}
	}
	return exitFailed
}

// interrupted reports whether err is the end of a download that the
// interrupt cut short: not a failure to report.
func interrupted(err error) bool { return errors.Is(err, context.Canceled) }

// A jsonResult is one element of the --json summary.
type jsonResult struct {
	URL      string  `json:"url"`
	Path     string  `json:"path"`
	Bytes    int64   `json:"bytes"`
	SHA256   string  `json:"sha256"`
	Attempts int     `json:"attempts"`
	Seconds  float64 `json:"seconds"`
	Skipped  bool    `json:"skipped"`
	Error    *string `json:"error"` // null when the file is complete
}

// writeJSON writes the summary of results, as JSON that shows safely on
// a terminal (see jsonSafe).
func writeJSON(w io.Writer, results []fetch.Result) {
	out := make([]jsonResult, len(results))
	for i, r := range results {
		out[i] = jsonResult{
			URL: r.Request.URL, Path: r.Path, Bytes: r.Bytes, SHA256: r.SHA256,
			Attempts: r.Attempts, Seconds: r.Elapsed.Seconds(), Skipped: r.Skipped,
		}
		if r.Err != nil {
			msg := explain(r.Err) // jsonSafe makes it safe to show
			out[i].Error = &msg
		}
	}
	b, _ := json.MarshalIndent(out, "", "  ") // cannot fail: strings and numbers
	w.Write(append(jsonSafe(b), '\n'))
}

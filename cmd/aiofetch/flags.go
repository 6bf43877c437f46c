package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goasyncio/asyncio/fetch"
)

// A config is what the command line asks for.
type config struct {
	list      string // -i: a file of URLs, "-" for standard input
	dir       string // -o
	jobs      int
	perHost   int
	retries   int
	timeout   time.Duration
	limitRate byteRate
	sync      bool
	cont      bool
	overwrite bool
	quiet     bool
	json      bool
	demo      bool
	debugAddr string // --debug-addr: serve the live task tree there
	urls      []string
}

const usage = `Usage: aiofetch [flags] URL...
       aiofetch [flags] -i FILE
       aiofetch --demo [-o DIR]

Downloads files over HTTP and HTTPS, many at once. Each file is written to
NAME.part and renamed to NAME only when it is complete (and matches its
checksum, if one is given); an interrupted download resumes on the next run
when the server proves the file unchanged. A file already in DIR is not
replaced: its download fails, unless -c or --overwrite says otherwise.

Flags:
  -i FILE         read URLs from FILE ('-' for standard input), one a line:
                  URL [NAME] [sha256=HEX]; blank lines and #comments are skipped
  -o DIR          save into DIR, made if missing (default: the current directory)
  -j N            download N files at once (default 8)
  --per-host N    download at most N files at once from one host (default: -j)
  --sync          download one file after the other, as -j 1 does
  --retries N     retry a download that failed for a passing reason N times (default 3)
  --timeout D     give up a connection after D without an answer, or a transfer
                  after D without data, such as 10s or 1m (default 30s)
  --limit-rate R  download at most R bytes per second in all, such as 500k or 2M
  -c, --continue  skip files already complete in DIR
  --overwrite     replace files already in DIR (that -c does not skip)
  -q, --quiet     print only errors
  --json          print a summary as JSON on standard output
  --demo          download generated images from a built-in local server, one at
                  a time and then all at once, and compare the times
  --debug-addr A  serve the live task tree on loopback address A, such as
                  127.0.0.1:6060, for asyncio-ps (go run ./cmd/asyncio-ps PID)

Exit status: 0 if every file was downloaded or skipped, 1 if some failed,
2 for bad usage, 130 if interrupted.
`

// A usageError is a command line, list or directory that the command
// cannot accept; it exits with exitUsage before downloading anything.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func badUsage(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

// parseFlags reads the command line. It returns flag.ErrHelp for -h, and
// a *usageError for anything it cannot accept.
func parseFlags(args []string) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("aiofetch", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by the caller, once
	fs.StringVar(&c.list, "i", "", "")
	fs.StringVar(&c.dir, "o", "", "")
	fs.IntVar(&c.jobs, "j", fetch.DefaultJobs, "")
	fs.IntVar(&c.perHost, "per-host", 0, "")
	fs.IntVar(&c.retries, "retries", 3, "")
	fs.DurationVar(&c.timeout, "timeout", fetch.DefaultTimeout, "")
	fs.Var(&c.limitRate, "limit-rate", "")
	fs.BoolVar(&c.sync, "sync", false, "")
	for _, name := range []string{"c", "continue"} {
		fs.BoolVar(&c.cont, name, false, "")
	}
	for _, name := range []string{"q", "quiet"} {
		fs.BoolVar(&c.quiet, name, false, "")
	}
	fs.BoolVar(&c.overwrite, "overwrite", false, "")
	fs.BoolVar(&c.json, "json", false, "")
	fs.BoolVar(&c.demo, "demo", false, "")
	fs.StringVar(&c.debugAddr, "debug-addr", "", "")

	// Flags may come after URLs, as in most download tools: parse, take
	// the URL that stopped the parse, and go on; "--" ends the flags.
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, badUsage("%v", err)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			c.urls = append(c.urls, rest...)
			break
		}
		c.urls = append(c.urls, rest[0])
		args = rest[1:]
	}
	return c, c.check()
}

// check reports values that make no sense.
func (c *config) check() error {
	switch {
	case c.jobs < 1:
		return badUsage("-j %d: give at least 1", c.jobs)
	case c.perHost < 0:
		return badUsage("--per-host %d: give at least 1, or 0 for no limit", c.perHost)
	case c.retries < 0:
		return badUsage("--retries %d: give 0 or more", c.retries)
	case c.timeout <= 0:
		return badUsage("--timeout %v: give a positive duration, such as 30s", c.timeout)
	case c.demo && (len(c.urls) > 0 || c.list != ""):
		return badUsage("--demo downloads from its own server: give it no URLs and no -i")
	case !c.demo && len(c.urls) == 0 && c.list == "":
		return badUsage("no URLs: give them as arguments, or in a file with -i FILE")
	}
	if c.sync {
		c.jobs = 1
	}
	return nil
}

// requests returns the requests of the URL arguments and the -i list, in
// that order, all checked.
func (c *config) requests(stdin io.Reader) ([]fetch.Request, error) {
	var reqs []fetch.Request
	for _, u := range c.urls {
		r := fetch.Request{URL: u}
		if err := r.Validate(); err != nil {
			return nil, badUsage("%s", trimPkg(err))
		}
		reqs = append(reqs, r)
	}
	if c.list == "" {
		return reqs, nil
	}
	in := stdin
	if c.list != "-" {
		f, err := os.Open(c.list)
		if err != nil {
			return nil, badUsage("cannot read the list of URLs: %v", err)
		}
		defer f.Close()
		in = f
	}
	listed, err := fetch.ParseList(in)
	if err != nil {
		return nil, badUsage("%s: %s", listName(c.list), trimPkg(err))
	}
	return append(reqs, listed...), nil
}

func listName(list string) string {
	if list == "-" {
		return "standard input"
	}
	return list
}

// trimPkg returns the text of err without the "fetch: " of package fetch,
// which means nothing to a user of the command.
func trimPkg(err error) string {
	return strings.TrimPrefix(err.Error(), "fetch: ")
}

// A byteRate is a number of bytes per second with an optional binary unit
// suffix: 500k, 2M, 1.5G.
type byteRate int64

func (r *byteRate) String() string { return strconv.FormatInt(int64(*r), 10) }

func (r *byteRate) Set(s string) error {
	num, mult := strings.TrimSpace(s), 1.0
	if num != "" {
		switch num[len(num)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult > 1 {
			num = num[:len(num)-1]
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || v <= 0 || v*mult >= 1<<62 {
		return fmt.Errorf("want a positive number of bytes per second, with k, M or G for KiB, MiB or GiB, such as 500k or 2M")
	}
	*r = byteRate(max(v*mult, 1))
	return nil
}

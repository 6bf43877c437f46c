package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"path"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/vbauerster/cupwriter"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/goasyncio/asyncio/fetch"
)

// A display shows how the downloads go, on standard error. Its event
// method is a Downloader's OnEvent, called on the loop's goroutine.
type display interface {
	event(e fetch.Event)
	// lines returns where a line of text goes to be shown with the
	// display: a goroutine-safe writer.
	lines() io.Writer
	// close ends the display once Fetch has returned.
	close()
}

// newDisplay returns the display for c: nothing with --quiet, live bars on
// a terminal, else a log line per finished file.
func newDisplay(c *config, w io.Writer, files int) display {
	switch {
	case c.quiet:
		return quiet{w}
	case cupwriter.New(w, false).IsTerminal():
		return newBars(w, files)
	default:
		return &logLines{w: w}
	}
}

// quiet shows nothing but the lines it is given.
type quiet struct{ w io.Writer }

func (quiet) event(fetch.Event)  {}
func (q quiet) lines() io.Writer { return q.w }
func (quiet) close()             {}

// logLines writes a line for each finished download and each retry.
type logLines struct{ w io.Writer }

func (l *logLines) event(e fetch.Event) {
	switch e.Kind {
	case fetch.EventRetry:
		fmt.Fprintf(l.w, "retry %s in %s: %s\n", escape(e.URL), seconds(e.Delay), reason(e.Err))
	case fetch.EventDone:
		if !interrupted(e.Result.Err) {
			fmt.Fprintln(l.w, resultLine(e.Result))
		}
	}
}

func (l *logLines) lines() io.Writer { return l.w }
func (l *logLines) close()           {}

// resultLine describes how a download ended, in one line.
func resultLine(r *fetch.Result) string {
	switch {
	case r.Err != nil:
		return fmt.Sprintf("FAIL  %s: %s", escape(r.Request.URL), reason(r.Err))
	case r.Skipped:
		return fmt.Sprintf("skip  %s (%s, already complete)", escape(r.Path), size(r.Bytes))
	}
	line := fmt.Sprintf("done  %s (%s in %s)", escape(r.Path), size(r.Bytes), seconds(r.Elapsed))
	if r.Attempts > 1 {
		line += fmt.Sprintf(" after %d attempts", r.Attempts)
	}
	return line
}

// bars shows a bar for the whole run, counting files, and one for each
// download in progress, with its bytes, rate and time left. Bars are
// goroutine-safe; the maps and counts here belong to the loop.
type bars struct {
	p        *mpb.Progress
	total    *mpb.Bar
	files    map[int]*fileBar
	received atomic.Int64 // bytes received in this run, for the total's rate
	start    time.Time
}

type fileBar struct {
	bar     *mpb.Bar
	written int64
	window  []sample               // recent progress, oldest first, for the rate
	status  atomic.Pointer[string] // read by mpb's goroutine
	rate    atomic.Uint64          // bytes per second, as float64 bits; read by mpb's goroutine
}

// A sample is a download's byte count at a time.
type sample struct {
	at      time.Time
	written int64
}

// rateWindow is how far back a download's rate looks: long enough to
// smooth the bursts of a rate limit, short enough to follow a change.
const rateWindow = 3 * time.Second

// progress records that written bytes are saved at now and updates the
// rate. A count that went back (the download started over) restarts the
// window.
func (fb *fileBar) progress(now time.Time, written int64) {
	if written < fb.written {
		fb.window = fb.window[:0]
	}
	fb.written = written
	fb.window = append(fb.window, sample{now, written})
	for len(fb.window) > 2 && now.Sub(fb.window[1].at) >= rateWindow {
		fb.window = fb.window[1:]
	}
	first, last := fb.window[0], fb.window[len(fb.window)-1]
	var r float64
	if dt := last.at.Sub(first.at).Seconds(); dt > 0 {
		r = float64(last.written-first.written) / dt
	}
	fb.rate.Store(math.Float64bits(r))
}

// speed formats the rate, or "" while it is unknown.
func (fb *fileBar) speed(decor.Statistics) string {
	if r := math.Float64frombits(fb.rate.Load()); r > 0 {
		return size(int64(r)) + "/s"
	}
	return ""
}

// eta formats the time left at the current rate, or "" if unknown.
func (fb *fileBar) eta(s decor.Statistics) string {
	r := math.Float64frombits(fb.rate.Load())
	if r <= 0 || s.Total <= 0 || s.Completed {
		return ""
	}
	left := time.Duration(float64(s.Total-s.Current) / r * float64(time.Second))
	return "ETA " + left.Round(time.Second).String()
}

func newBars(w io.Writer, files int, opts ...mpb.ContainerOption) *bars {
	b := &bars{
		p:     mpb.New(append([]mpb.ContainerOption{mpb.WithOutput(w), mpb.WithWidth(100)}, opts...)...),
		files: make(map[int]*fileBar),
		start: time.Now(),
	}
	b.total = b.p.AddBar(int64(files),
		mpb.PrependDecorators(
			decor.Name("total", decor.WC{W: 26, C: decor.DindentRight}),
			decor.CountersNoUnit("%d/%d files", decor.WCSyncSpace),
		),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string {
				n := b.received.Load()
				return fmt.Sprintf("%s  %s/s", size(n), size(int64(float64(n)/max(time.Since(b.start).Seconds(), 1e-3))))
			}, decor.WCSyncSpace),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO, decor.WCSyncSpace), ""),
		),
	)
	return b
}

func (b *bars) event(e fetch.Event) {
	fb := b.files[e.Index]
	if fb == nil && e.Kind != fetch.EventDone {
		fb = b.add(e)
	}
	switch e.Kind {
	case fetch.EventRequest:
		status := "requesting"
		if e.Attempt > 1 {
			status = fmt.Sprintf("attempt %d", e.Attempt)
		}
		fb.setStatus(status)
	case fetch.EventResponse:
		fb.setStatus("")
		fb.bar.SetTotal(max(e.Total, 0), false)
		fb.bar.SetCurrent(e.Written)
		fb.window = fb.window[:0] // the wait for the response is no transfer
		fb.progress(time.Now(), e.Written)
	case fetch.EventProgress:
		if d := e.Written - fb.written; d > 0 {
			b.received.Add(d)
		}
		fb.bar.SetCurrent(e.Written)
		fb.progress(time.Now(), e.Written)
	case fetch.EventRetry:
		fb.setStatus(fmt.Sprintf("retry in %s", seconds(e.Delay)))
		fb.bar.SetCurrent(e.Written)
		fb.written, fb.window = e.Written, fb.window[:0]
		fb.rate.Store(0)
	case fetch.EventDone:
		b.done(fb, e.Result)
		delete(b.files, e.Index)
	}
}

// add makes the bar of the download of e.
func (b *bars) add(e fetch.Event) *fileBar {
	fb := &fileBar{}
	fb.setStatus("")
	name := label(e)
	fb.bar = b.p.AddBar(0,
		mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(
			decor.Name(name, decor.WC{W: 26, C: decor.DindentRight}),
			decor.Any(func(s decor.Statistics) string {
				if st := *fb.status.Load(); st != "" {
					return st
				}
				if s.Total <= 0 {
					return size(s.Current)
				}
				return size(s.Current) + " / " + size(s.Total)
			}, decor.WCSyncSpace),
		),
		mpb.AppendDecorators(
			decor.Any(fb.speed, decor.WCSyncSpace),
			decor.Any(fb.eta, decor.WCSyncSpace),
		),
	)
	b.files[e.Index] = fb
	return fb
}

func (fb *fileBar) setStatus(s string) { fb.status.Store(&s) }

// done ends the bar of a finished download and logs it above the bars.
func (b *bars) done(fb *fileBar, r *fetch.Result) {
	if fb != nil {
		if r.Err == nil {
			fb.bar.SetTotal(-1, true) // complete: the bar goes
		} else {
			fb.bar.Abort(true)
		}
	}
	if !interrupted(r.Err) {
		b.total.Increment()
		fmt.Fprintln(b.p, resultLine(r))
	}
}

func (b *bars) lines() io.Writer { return b.p }

func (b *bars) close() {
	for _, fb := range b.files {
		fb.bar.Abort(true)
	}
	b.total.Abort(false) // if the run was cut short; a complete bar stays
	b.p.Wait()
}

// label names a download on its bar: its file name if known, else the
// last part of its URL, cut to fit.
func label(e fetch.Event) string {
	name := filepath.Base(e.Path)
	if e.Path == "" {
		name = e.URL
		if u, err := url.Parse(e.URL); err == nil && path.Base(u.Path) != "/" && path.Base(u.Path) != "." {
			name = path.Base(u.Path)
		}
	}
	name = escape(name)
	if r := []rune(name); len(r) > 24 {
		name = string(r[:23]) + "…"
	}
	return name
}

// reason is the text of a download's error for a user of the command on
// a terminal: explain's, escaped, as it may hold text from the server.
func reason(err error) string { return escape(explain(err)) }

// explain is the text of a download's error for a user of the command.
func explain(err error) string {
	s := trimPkg(err)
	if errors.Is(err, fetch.ErrExists) {
		s += "; --continue skips complete files, --overwrite replaces them"
	}
	return s
}

// size formats n bytes with a binary unit.
func size(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n)/unit, 0
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KiB", "MiB", "GiB", "TiB"}[i])
}

// seconds formats d as seconds with two decimals.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%.2fs", d.Seconds())
}

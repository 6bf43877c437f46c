package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/goasyncio/asyncio/fetch"
)

// TestBarsFollowADownload drives the terminal display through a download
// that is retried, resumed and finished, one that fails and one cut short,
// and checks that it ends (every bar done) and logs the finished ones.
func TestBarsFollowADownload(t *testing.T) {
	var out bytes.Buffer
	b := newBars(&out, 3, mpb.WithAutoRefresh())
	ok := &fetch.Result{Request: fetch.Request{URL: "http://h/a.bin"}, Path: "dir/a.bin", Bytes: 300, Attempts: 2}
	failed := &fetch.Result{Request: fetch.Request{URL: "http://h/b.bin"}, Err: errors.New("fetch: HTTP 404 Not Found"), Attempts: 1}
	events := []fetch.Event{
		{Kind: fetch.EventRequest, Index: 0, URL: "http://h/a.bin", Attempt: 1, Total: -1},
		{Kind: fetch.EventRequest, Index: 1, URL: "http://h/b.bin", Attempt: 1, Total: -1},
		{Kind: fetch.EventRequest, Index: 2, URL: "http://h/c.bin", Attempt: 1, Total: -1},
		{Kind: fetch.EventResponse, Index: 0, Path: "dir/a.bin", Attempt: 1, Total: 300},
		{Kind: fetch.EventProgress, Index: 0, Path: "dir/a.bin", Attempt: 1, Written: 120, Total: 300},
		{Kind: fetch.EventRetry, Index: 0, Path: "dir/a.bin", Attempt: 1, Written: 120, Total: 300, Delay: time.Second},
		{Kind: fetch.EventRequest, Index: 0, Path: "dir/a.bin", Attempt: 2, Written: 120, Total: 300},
		{Kind: fetch.EventResponse, Index: 0, Path: "dir/a.bin", Attempt: 2, Written: 120, Total: 300},
		{Kind: fetch.EventProgress, Index: 0, Path: "dir/a.bin", Attempt: 2, Written: 300, Total: 300},
		{Kind: fetch.EventDone, Index: 0, Path: "dir/a.bin", Written: 300, Total: 300, Result: ok},
		{Kind: fetch.EventDone, Index: 1, URL: "http://h/b.bin", Total: -1, Result: failed},
	}
	for _, e := range events {
		b.event(e)
	}
	if got := b.received.Load(); got != 300 {
		t.Errorf("the total counts %d bytes received, want 300", got)
	}
	done := make(chan struct{})
	go func() {
		b.close() // c.bin is still running, as after an interrupt
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("close did not return: a bar was left running")
	}
	for _, want := range []string{"done  dir/a.bin (300 B in 0.00s) after 2 attempts", "FAIL  http://h/b.bin: HTTP 404 Not Found"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output does not say %q:\n%s", want, out.String())
		}
	}
}

func TestInterruptedIsNotAFailure(t *testing.T) {
	if !interrupted(context.Canceled) || interrupted(errors.New("x")) || interrupted(nil) {
		t.Error("interrupted misjudges its errors")
	}
}

func TestLabel(t *testing.T) {
	tests := []struct {
		e    fetch.Event
		want string
	}{
		{fetch.Event{Path: "out/photo.png", URL: "http://h/x"}, "photo.png"},
		{fetch.Event{URL: "http://h/dir/file.tar.gz?x=1"}, "file.tar.gz"},
		{fetch.Event{URL: "http://h/"}, "http://h/"},
		{fetch.Event{Path: strings.Repeat("n", 40)}, strings.Repeat("n", 23) + "…"},
		{fetch.Event{URL: "http://h/\x1b]0;x\x07"}, `http://h/\x1b]0;x\x07`}, // no URL: shown whole
		{fetch.Event{Path: "out/e\u202egpj.exe"}, `e\u202egpj.exe`},
	}
	for _, tt := range tests {
		if got := label(tt.e); got != tt.want {
			t.Errorf("label(%+v) = %q, want %q", tt.e, got, tt.want)
		}
	}
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 20: "5.0 MiB", 3 << 30: "3.0 GiB"} {
		if got := size(n); got != want {
			t.Errorf("size(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFileBarRate(t *testing.T) {
	var fb fileBar
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rate := func() float64 { return math.Float64frombits(fb.rate.Load()) }
	for i := range 11 { // 100 KiB every 100ms for a second: 1000 KiB/s
		fb.progress(t0.Add(time.Duration(i)*100*time.Millisecond), int64(i)*100<<10)
	}
	if got := rate(); got != 1000<<10 {
		t.Errorf("rate %v, want %v", got, 1000<<10)
	}
	// Then 10 s at 2000 KiB/s: the window forgets the slower start.
	for i := 1; i <= 100; i++ {
		fb.progress(t0.Add(time.Second+time.Duration(i)*100*time.Millisecond), 1000<<10+int64(i)*200<<10)
	}
	if got := rate(); got != 2000<<10 {
		t.Errorf("rate %v, want %v", got, 2000<<10)
	}
	if len(fb.window) > 32 {
		t.Errorf("the window holds %d samples; it should hold about %v of them", len(fb.window), rateWindow)
	}
	fb.progress(t0.Add(20*time.Second), 0) // started over
	if got := rate(); got != 0 {
		t.Errorf("rate %v after a restart, want 0 until the next sample", got)
	}
	if got := fb.eta(decor.Statistics{Total: 100, Current: 10}); got != "" {
		t.Errorf("eta %q without a rate, want none", got)
	}
}

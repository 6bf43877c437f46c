package main

import (
	"testing"
	"time"
)

func TestByteRate(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"100", 100},
		{"500k", 500 << 10},
		{"500K", 500 << 10},
		{"2M", 2 << 20},
		{"1.5m", 3 << 19},
		{"1G", 1 << 30},
		{"0.1", 1},
	}
	for _, tt := range tests {
		var r byteRate
		if err := r.Set(tt.in); err != nil || int64(r) != tt.want {
			t.Errorf("Set(%q) = %d, %v; want %d", tt.in, r, err, tt.want)
		}
	}
	for _, bad := range []string{"", "k", "-1M", "0", "2T", "NaN", "Inf", "1e30G", "2 M"} {
		var r byteRate
		if err := r.Set(bad); err == nil {
			t.Errorf("Set(%q) = %d, want an error", bad, r)
		}
	}
}

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"http://h/a", "--per-host", "2", "--sync", "http://h/b", "--timeout", "5s", "-c", "--overwrite", "--", "-odd-url"})
	if err != nil {
		t.Fatal(err)
	}
	if c.jobs != 1 || c.perHost != 2 || c.timeout != 5*time.Second || !c.cont || !c.overwrite || !c.downloader(nil).Overwrite {
		t.Errorf("config %+v", c)
	}
	if want := []string{"http://h/a", "http://h/b", "-odd-url"}; len(c.urls) != 3 || c.urls[0] != want[0] || c.urls[1] != want[1] || c.urls[2] != want[2] {
		t.Errorf("URLs %q, want %q", c.urls, want)
	}
}

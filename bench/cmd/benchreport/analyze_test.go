package main

import (
	"testing"

	"github.com/goasyncio/asyncio/bench/internal/record"
)

// TestRatioDirection checks that a ratio above 1 means goasyncio did
// better, whether lower is better (time per operation) or higher
// (requests per second, which the echo records give as time per echo).
func TestRatioDirection(t *testing.T) {
	tests := []struct {
		workload string
		ours     float64 // ns per op
		theirs   float64
		want     float64
	}{
		{"W2", 100, 400, 4},       // a quarter of the time: 4× faster
		{"W2", 400, 100, 0.25},    // four times the time
		{"E10", 10e3, 40e3, 4},    // 100k req/s against 25k
		{"E10", 40e3, 10e3, 0.25}, // 25k req/s against 100k
	}
	for _, tt := range tests {
		res := analyze([]record.Record{
			{Runtime: ours, Workload: tt.workload, NSPerOp: tt.ours, OK: true},
			{Runtime: "uvloop", Workload: tt.workload, NSPerOp: tt.theirs, OK: true},
		})
		rw := res.row(tt.workload)
		if rw == nil {
			t.Fatalf("%s: no row", tt.workload)
		}
		got, ok := rw.ratio("uvloop")
		if !ok || got != tt.want {
			t.Errorf("%s: ratio(%g ns, %g ns) = %g, %v; want %g", tt.workload, tt.ours, tt.theirs, got, ok, tt.want)
		}
	}
}

// TestEchoTargets checks issue 14's targets against requests per second:
// goasyncio at 90k req/s meets 1.5× uvloop at 50k and misses 0.8× plain
// Go at 120k.
func TestEchoTargets(t *testing.T) {
	perSecond := func(rt string, rps float64) record.Record {
		return record.Record{Runtime: rt, Workload: "E100", NSPerOp: 1e9 / rps, OK: true}
	}
	res := analyze([]record.Record{perSecond(ours, 90e3), perSecond("uvloop", 50e3), perSecond("go", 120e3)})
	want := map[string]status{"uvloop": met, "go": missed}
	for _, tr := range res.targets {
		if tr.metric != "E100" {
			continue
		}
		if tr.status != want[tr.against] {
			t.Errorf("E100 against %s: %s (%s), want %s", tr.against, tr.status, tr.figure(), want[tr.against])
		}
		delete(want, tr.against)
	}
	if len(want) > 0 {
		t.Errorf("no E100 target against %v", want)
	}
}

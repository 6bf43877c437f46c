package main

import (
	"maps"
	"slices"

	"github.com/goasyncio/asyncio/bench/internal/record"
)

// ours is the runtime that the ratios and targets are about.
const ours = "goasyncio"

// runtimeOrder is the order of the table's columns.
var runtimeOrder = []string{ours, "asyncio", "uvloop", "uvloop-proto", "greenlet", "node", "go"}

// runtimeNames are the runtimes' names in headings.
var runtimeNames = map[string]string{
	ours:           "goasyncio",
	"asyncio":      "CPython asyncio",
	"uvloop":       "uvloop",
	"uvloop-proto": "uvloop's raw protocol",
	"greenlet":     "greenlet",
	"node":         "Node.js",
	"go":           "plain Go",
}

// A unit says how a metric's values are measured and shown.
type unit int

const (
	nanoseconds unit = iota
	bytes
	perSecond // requests per second: the one unit where higher is better
)

// higherIsBetter reports whether a larger value in unit u is the better one.
func (u unit) higherIsBetter() bool { return u == perSecond }

// A metric is one row of the table: a number taken from the records of one
// workload. Lower is better, except in the unit perSecond.
type metric struct {
	id       string // "W1"; "W3.rss" for a second number of W3
	workload string // the records' workload
	label    string // the row's heading
	per      string // what one value is for, as in "ns per task"
	unit     unit
	panel    string // the chart panel that shows it
	value    func(*record.Record) float64
}

func nsPerOp(r *record.Record) float64 { return r.NSPerOp }

// perSec is the inverse of the time per operation: requests per second.
func perSec(r *record.Record) float64 { return 1e9 / r.NSPerOp }

var metrics = []metric{
	{"W1", "W1", "W1 spawn", "per task", nanoseconds, "time per operation (lower is better)", nsPerOp},
	{"W1c", "W1c", "W1c spawn, cold", "per task, first burst of a fresh process", nanoseconds, "time per operation (lower is better)", nsPerOp},
	{"W1c.rss", "W1c", "W1c spawn, cold, peak RSS", "peak resident set", bytes, "", func(r *record.Record) float64 { return float64(r.RSSPeak) }},
	{"W2", "W2", "W2 ping-pong", "per round trip", nanoseconds, "time per operation (lower is better)", nsPerOp},
	{"W3", "W3", "W3 timers, wall", "wall time, ideal 1 s", nanoseconds, "W3 timers: wall time (ideal 1 s)", func(r *record.Record) float64 { return float64(r.WallNS) }},
	{"W3.rss", "W3", "W3 timers, peak RSS", "peak resident set", bytes, "", func(r *record.Record) float64 { return float64(r.RSSPeak) }},
	{"W3m", "W3m", "W3 memory per parked task", "RSS growth / parked tasks", bytes, "W3 memory per parked task, 1 000 000 tasks", func(r *record.Record) float64 { return r.BytesPerTask }},
	{"W4", "W4", "W4 executor", "per call", nanoseconds, "time per operation (lower is better)", nsPerOp},
	{"W5", "W5", "W5 switch", "per switch", nanoseconds, "time per operation (lower is better)", nsPerOp},
	{"W6", "W6", "W6 future", "per future", nanoseconds, "time per operation (lower is better)", nsPerOp},
	{"W7", "W7", "W7 HTTP fan-out", "per request, 16 in flight", nanoseconds, "time per operation (lower is better)", nsPerOp},
	{"E10", "E10", "E10 echo", "1 KiB requests per second, 10 connections", perSecond, "echo server: requests per second (higher is better)", perSec},
	{"E100", "E100", "E100 echo", "1 KiB requests per second, 100 connections", perSecond, "echo server: requests per second (higher is better)", perSec},
}

// A cell is what one runtime measured for one metric over the repetitions.
type cell struct {
	samples  []float64 // of the runs that checked out, in run order
	failed   []string  // why each failed run failed
	impl     string
	median   float64
	min, max float64
}

// ok reports whether the cell has a value to show.
func (c *cell) ok() bool { return c != nil && len(c.samples) > 0 }

// A row is a metric and its cells by runtime.
type row struct {
	metric
	cells map[string]*cell
}

// results are the analyzed records.
type results struct {
	runtimes []string // those that have records, in runtimeOrder
	rows     []row
	targets  []targetResult
	reps     int // the most samples in a cell
	failures int // failed runs
	missed   int // targets missed, stretch goals included
}

// analyze groups recs by metric and runtime and takes the medians.
func analyze(recs []record.Record) *results {
	res := &results{}
	seen := map[string]bool{}
	for _, m := range metrics {
		rw := row{metric: m, cells: map[string]*cell{}}
		for i := range recs {
			r := &recs[i]
			if r.Workload != m.workload {
				continue
			}
			seen[r.Runtime] = true
			c := rw.cells[r.Runtime]
			if c == nil {
				c = &cell{}
				rw.cells[r.Runtime] = c
			}
			if c.impl == "" {
				c.impl = r.Impl // a run that failed to report has none
			}
			if r.OK {
				c.samples = append(c.samples, m.value(r))
			} else {
				c.failed = append(c.failed, r.Check)
			}
		}
		for _, c := range rw.cells {
			c.summarize()
			res.reps = max(res.reps, len(c.samples)+len(c.failed))
			if m.id == m.workload {
				res.failures += len(c.failed)
			}
		}
		if len(rw.cells) > 0 {
			res.rows = append(res.rows, rw)
		}
	}
	for _, rt := range runtimeOrder {
		if seen[rt] {
			res.runtimes = append(res.runtimes, rt)
		}
	}
	for _, rt := range slices.Sorted(maps.Keys(seen)) {
		if !slices.Contains(runtimeOrder, rt) {
			res.runtimes = append(res.runtimes, rt)
		}
	}
	res.targets = evaluate(res)
	for _, t := range res.targets {
		if t.status == missed {
			res.missed++
		}
	}
	return res
}

// summarize computes the median, minimum and maximum of the samples.
func (c *cell) summarize() {
	if len(c.samples) == 0 {
		return
	}
	s := slices.Sorted(slices.Values(c.samples))
	c.min, c.max = s[0], s[len(s)-1]
	if n := len(s); n%2 == 1 {
		c.median = s[n/2]
	} else {
		c.median = (s[n/2-1] + s[n/2]) / 2
	}
}

// count returns the number of targets with status st.
func (res *results) count(st status) int {
	n := 0
	for _, t := range res.targets {
		if t.status == st {
			n++
		}
	}
	return n
}

// row returns the row of the metric id, or nil if no runtime measured it.
func (res *results) row(id string) *row {
	for i := range res.rows {
		if res.rows[i].id == id {
			return &res.rows[i]
		}
	}
	return nil
}

// ratio returns how many times goasyncio does better than other: other's
// median over ours, or ours over other's where higher is better; above 1
// when goasyncio is faster or smaller. ok is false when either has no
// value.
func (rw *row) ratio(other string) (r float64, ok bool) {
	a, b := rw.cells[ours], rw.cells[other]
	if !a.ok() || !b.ok() || a.median <= 0 || b.median <= 0 {
		return 0, false
	}
	if rw.unit.higherIsBetter() {
		return a.median / b.median, true
	}
	return b.median / a.median, true
}

package main

import (
	"fmt"
	"math"
)

// A targetKind says what a target compares.
type targetKind int

const (
	// speedup: the ratio of the row (the other runtime's median over
	// ours, or ours over its for requests per second) is at least the
	// threshold.
	speedup targetKind = iota
	// slowdown: our median over the other runtime's is at most the
	// threshold.
	slowdown
	// ceiling: our median is at most the threshold, in the metric's unit.
	ceiling
)

// A target is one of the goals of issues 9, 13 and 14 for goasyncio.
type target struct {
	metric    string
	kind      targetKind
	against   string // the other runtime, for speedup and slowdown
	threshold float64
	stretch   bool
}

// targets are the goals of issues 9, 13 and 14, measured in the same run.
var targets = []target{
	{metric: "W1", kind: speedup, against: "asyncio", threshold: 4.5},
	{metric: "W1c", kind: speedup, against: "asyncio", threshold: 4.5}, // issue 13
	{metric: "W2", kind: speedup, against: "asyncio", threshold: 13},
	{metric: "W4", kind: speedup, against: "asyncio", threshold: 25},
	{metric: "W6", kind: speedup, against: "asyncio", threshold: 2.5},
	{metric: "W2", kind: speedup, against: "uvloop", threshold: 5},
	{metric: "W1", kind: speedup, against: "node", threshold: 1, stretch: true},
	{metric: "W3", kind: ceiling, threshold: 1.05e9},      // within 5% of 1.0 s
	{metric: "W3m", kind: ceiling, threshold: 3.2 * 1024}, // 3.2 KiB
	{metric: "W1", kind: slowdown, against: "go", threshold: 3},
	{metric: "W2", kind: slowdown, against: "go", threshold: 3},
	{metric: "E10", kind: speedup, against: "uvloop", threshold: 1.5}, // issue 14
	{metric: "E100", kind: speedup, against: "uvloop", threshold: 1.5},
	{metric: "E10", kind: speedup, against: "go", threshold: 0.8},
	{metric: "E100", kind: speedup, against: "go", threshold: 0.8},
}

// A status is where a target stands.
type status string

const (
	met     status = "met"
	missed  status = "missed"
	unknown status = "n/a" // a figure is missing: a runtime did not run or failed
)

// A targetResult is a target with what the run measured.
type targetResult struct {
	target
	unit     unit
	measured float64 // a ratio, or a value in the metric's unit
	// hasFigure reports whether measured holds a figure.
	hasFigure bool
	status    status
	// margin is how far the measured value lies on the good side of the
	// threshold, relative to the threshold: negative when missed.
	margin float64
	note   string // why the status is missed or n/a, when not by the figure
}

// evaluate measures the targets whose metric res has.
func evaluate(res *results) []targetResult {
	out := make([]targetResult, 0, len(targets))
	for _, t := range targets {
		rw := res.row(t.metric)
		if rw == nil {
			continue
		}
		tr := targetResult{target: t, unit: rw.unit, status: unknown}
		mine := rw.cells[ours]
		var ok bool
		switch t.kind {
		case speedup:
			tr.measured, ok = rw.ratio(t.against)
			tr.margin = tr.measured/t.threshold - 1
		case slowdown:
			var r float64
			if r, ok = rw.ratio(t.against); ok {
				tr.measured = 1 / r
			}
			tr.margin = 1 - tr.measured/t.threshold
		case ceiling:
			if ok = mine.ok(); ok {
				tr.measured = mine.median
			}
			tr.margin = 1 - tr.measured/t.threshold
		}
		tr.hasFigure = ok
		switch {
		case mine != nil && len(mine.failed) > 0:
			tr.status = missed
			tr.note = fmt.Sprintf("%d of %d goasyncio runs failed", len(mine.failed), len(mine.failed)+len(mine.samples))
		case !ok:
			tr.note = "no figure"
			if c := rw.cells[t.against]; t.against != "" && c != nil && len(c.failed) > 0 {
				tr.note = runtimeNames[t.against] + " failed"
			}
		case tr.margin >= 0:
			tr.status = met
		default:
			tr.status = missed
		}
		if tr.status == unknown {
			tr.margin = math.NaN()
		}
		out = append(out, tr)
	}
	return out
}

// goal describes the target, as in "≥ 4.5× CPython asyncio".
func (t *targetResult) goal() string {
	s := ""
	switch t.kind {
	case speedup:
		switch {
		case t.unit == perSecond:
			s = fmt.Sprintf("≥ %g× %s's requests per second", t.threshold, runtimeNames[t.against])
		case t.threshold == 1:
			s = "faster than " + runtimeNames[t.against]
		default:
			s = fmt.Sprintf("≥ %g× faster than %s", t.threshold, runtimeNames[t.against])
		}
	case slowdown:
		s = fmt.Sprintf("within %g× of %s's time", t.threshold, runtimeNames[t.against])
	case ceiling:
		s = "≤ " + formatValue(t.threshold, t.unit)
	}
	if t.stretch {
		s += " (stretch)"
	}
	return s
}

// shortGoal is goal in a few characters, as in "≥4.5× asyncio".
func (t *targetResult) shortGoal() string {
	s := ""
	switch t.kind {
	case speedup:
		s = fmt.Sprintf("≥%g× %s", t.threshold, t.against)
		if t.threshold == 1 {
			s = "faster than " + t.against
		}
	case slowdown:
		s = fmt.Sprintf("≤%g× %s", t.threshold, t.against)
	case ceiling:
		s = "≤" + formatValue(t.threshold, t.unit)
	}
	if t.stretch {
		s += " (stretch)"
	}
	return s
}

// figure formats the measured value, or returns "—" for none.
func (t *targetResult) figure() string {
	switch {
	case !t.hasFigure:
		return "—"
	case t.kind == ceiling:
		return formatValue(t.measured, t.unit)
	}
	return formatRatio(t.measured)
}

// verdict is the status with the margin, as in "missed by 21%".
func (t *targetResult) verdict() string {
	switch {
	case t.status == unknown:
		return "n/a (" + t.note + ")"
	case t.note != "":
		return string(t.status) + " (" + t.note + ")"
	case t.status == met:
		return fmt.Sprintf("met, %.0f%% to spare", 100*t.margin)
	}
	return fmt.Sprintf("missed by %.0f%%", -100*t.margin)
}

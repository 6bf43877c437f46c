package main

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
)

// formatValue formats v, in unit u, with about three significant digits.
func formatValue(v float64, u unit) string {
	switch u {
	case perSecond:
		switch {
		case v < 1e3:
			return sig3(v) + " req/s"
		case v < 1e6:
			return sig3(v/1e3) + " k req/s"
		}
		return sig3(v/1e6) + " M req/s"
	case bytes:
		switch {
		case v < 1024:
			return fmt.Sprintf("%.0f B", v)
		case v < 1<<20:
			return sig3(v/1024) + " KiB"
		}
		return sig3(v/(1<<20)) + " MiB"
	}
	switch {
	case v < 1e3:
		return sig3(v) + " ns"
	case v < 1e6:
		return sig3(v/1e3) + " µs"
	case v < 1e9:
		return sig3(v/1e6) + " ms"
	}
	return sig3(v/1e9) + " s"
}

// sig3 formats v with three significant digits, or as an integer when it
// has more digits than that.
func sig3(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// formatRatio formats a ratio as in "4.52×".
func formatRatio(r float64) string { return sig3(r) + "×" }

// cellText is what the table shows for a runtime's cell.
func (rw *row) cellText(rt string) string {
	c := rw.cells[rt]
	switch {
	case c == nil:
		return "—"
	case !c.ok():
		return fmt.Sprintf("FAILED %d/%d", len(c.failed), len(c.failed))
	case len(c.failed) > 0:
		return fmt.Sprintf("%s (FAILED %d/%d)", formatValue(c.median, rw.unit), len(c.failed), len(c.failed)+len(c.samples))
	}
	return formatValue(c.median, rw.unit)
}

// ratioText is what the table shows for goasyncio's ratio to rt.
func (rw *row) ratioText(rt string) string {
	r, ok := rw.ratio(rt)
	if !ok {
		return "—"
	}
	return formatRatio(r)
}

// targetText sums up the targets on the metric id for the table: in full
// for Markdown, joined by sep, or briefly for a terminal.
func (res *results) targetText(id, sep string, brief bool) string {
	var parts []string
	for _, t := range res.targets {
		if t.metric != id {
			continue
		}
		goal, verdict := t.goal(), ""
		if brief {
			goal = t.shortGoal()
		}
		switch {
		case t.status == unknown:
			verdict = "n/a (" + t.note + ")"
		case t.note != "":
			verdict = "MISSED (" + t.note + ")"
		case t.status == met:
			verdict = fmt.Sprintf("met (%s, %+.0f%%)", t.figure(), 100*t.margin)
		default:
			verdict = fmt.Sprintf("MISSED (%s, %+.0f%%)", t.figure(), 100*t.margin)
		}
		parts = append(parts, goal+": "+verdict)
	}
	return strings.Join(parts, sep)
}

// others are the runtimes goasyncio is compared with.
func (res *results) others() []string {
	var rts []string
	for _, rt := range res.runtimes {
		if rt != ours {
			rts = append(rts, rt)
		}
	}
	return rts
}

// header returns the main table's column headings.
func (res *results) header() []string {
	h := append([]string{"workload", "unit"}, res.runtimes...)
	for _, rt := range res.others() {
		h = append(h, "vs "+rt)
	}
	return append(h, "target")
}

// tableRows returns the main table's rows, the targets joined by sep and
// brief or not.
func (res *results) tableRows(sep string, brief bool) [][]string {
	var out [][]string
	for i := range res.rows {
		rw := &res.rows[i]
		line := []string{rw.label, rw.per}
		for _, rt := range res.runtimes {
			line = append(line, rw.cellText(rt))
		}
		for _, rt := range res.others() {
			line = append(line, rw.ratioText(rt))
		}
		out = append(out, append(line, res.targetText(rw.id, sep, brief)))
	}
	return out
}

// text renders the table and the targets for a terminal.
func (res *results) text() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(res.header(), "\t"))
	for _, line := range res.tableRows("; ", true) {
		fmt.Fprintln(tw, strings.Join(line, "\t"))
	}
	tw.Flush()
	fmt.Fprintf(&b, "\nmedians of %d repetitions; vs X = X's median / goasyncio's, the other way round for req/s (above 1× goasyncio is faster or smaller)\n", res.reps)
	fmt.Fprintf(&b, "\ntargets: %d met, %d missed of %d\n", res.count(met), res.missed, len(res.targets))
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, t := range res.targets {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", t.metric, t.goal(), t.figure(), t.verdict())
	}
	tw.Flush()
	if res.failures > 0 {
		fmt.Fprintf(&b, "\n%d runs FAILED; see RESULTS.md\n", res.failures)
	}
	return b.String()
}

// markdown renders the report that bench/run writes to RESULTS.md.
func (res *results) markdown(info []keyValue, chart string) string {
	var b strings.Builder
	b.WriteString("# Benchmark results\n\n")
	b.WriteString("Written by `bench/run`; see [README.md](README.md) for what each workload measures and how to read this.\n")
	b.WriteString("Lower is better, except for requests per second (the echo server, E10 and E100). ")
	b.WriteString("Each figure is the median of the repetitions; **vs X** is X's median divided by goasyncio's ")
	b.WriteString("(goasyncio's divided by X's for requests per second), so above 1× goasyncio is faster (or smaller).\n\n")
	if len(info) > 0 {
		b.WriteString("## Machine and run\n\n")
		for _, kv := range info {
			fmt.Fprintf(&b, "- **%s**: %s\n", kv.key, kv.value)
		}
		b.WriteString("\n")
	}

	b.WriteString("## Results\n\n")
	mdTable(&b, res.header(), res.tableRows("<br>", false))
	if chart != "" {
		fmt.Fprintf(&b, "\n![goasyncio beside the other runtimes, log scale](%s)\n", chart)
	}

	b.WriteString("\n## Targets\n\n")
	var rows [][]string
	for _, t := range res.targets {
		rows = append(rows, []string{t.metric, t.goal(), t.figure(), t.verdict()})
	}
	mdTable(&b, []string{"workload", "target", "measured", "verdict"}, rows)

	if res.failures > 0 {
		b.WriteString("\n## Failed runs\n\n")
		rows = nil
		for _, rw := range res.rows {
			if rw.id != rw.workload {
				continue
			}
			for _, rt := range res.runtimes {
				if c := rw.cells[rt]; c != nil {
					for _, why := range c.failed {
						rows = append(rows, []string{rw.workload, rt, why})
					}
				}
			}
		}
		mdTable(&b, []string{"workload", "runtime", "why"}, rows)
	}

	b.WriteString("\n## Spread\n\nThe samples behind each median: a wide spread means a noisy machine.\n\n")
	rows = nil
	for _, rw := range res.rows {
		for _, rt := range res.runtimes {
			c := rw.cells[rt]
			if !c.ok() {
				continue
			}
			spread := (c.max - c.min) / c.median
			if math.IsNaN(spread) || math.IsInf(spread, 0) {
				spread = 0
			}
			rows = append(rows, []string{rw.label, rt, fmt.Sprint(len(c.samples)),
				formatValue(c.min, rw.unit), formatValue(c.median, rw.unit), formatValue(c.max, rw.unit),
				fmt.Sprintf("%.0f%%", 100*spread)})
		}
	}
	mdTable(&b, []string{"metric", "runtime", "runs", "min", "median", "max", "(max−min)/median"}, rows)

	b.WriteString("\n## How each runtime does the work\n\n")
	rows = nil
	for _, rw := range res.rows {
		if rw.id != rw.workload {
			continue
		}
		for _, rt := range res.runtimes {
			if c := rw.cells[rt]; c != nil {
				impl := c.impl
				if impl == "" {
					impl = "(no run reported)"
				}
				rows = append(rows, []string{rw.workload, rt, impl})
			}
		}
	}
	mdTable(&b, []string{"workload", "runtime", "implementation"}, rows)
	return b.String()
}

// mdTable writes a Markdown table.
func mdTable(b *strings.Builder, header []string, rows [][]string) {
	esc := strings.NewReplacer("|", `\|`, "\n", " ")
	line := func(cells []string) {
		b.WriteString("|")
		for _, c := range cells {
			b.WriteString(" " + esc.Replace(c) + " |")
		}
		b.WriteString("\n")
	}
	line(header)
	b.WriteString("|" + strings.Repeat("---|", len(header)) + "\n")
	for _, r := range rows {
		line(r)
	}
}

// A chartSummary is what bench/chart draws: the medians, panel by panel.
type chartSummary struct {
	Runtimes []string     `json:"runtimes"`
	Panels   []chartPanel `json:"panels"`
}

// A chartPanel is one plot of the chart, in one unit.
type chartPanel struct {
	Title   string        `json:"title"`
	Unit    string        `json:"unit"` // "ns", "bytes" or "req/s"
	Metrics []chartMetric `json:"metrics"`
}

// A chartMetric is one group of bars: a median per runtime that has one,
// and the runtimes whose every run failed.
type chartMetric struct {
	ID      string             `json:"id"`
	Label   string             `json:"label"`
	Medians map[string]float64 `json:"medians"`
	Failed  []string           `json:"failed,omitempty"`
}

// summary returns the medians for bench/chart, panels in the order of
// their first metric in the table.
func (res *results) summary() chartSummary {
	var order []string
	panels := map[string]*chartPanel{}
	for _, rw := range res.rows {
		if rw.panel == "" {
			continue
		}
		p := panels[rw.panel]
		if p == nil {
			u := "ns"
			switch rw.unit {
			case bytes:
				u = "bytes"
			case perSecond:
				u = "req/s"
			}
			p = &chartPanel{Title: rw.panel, Unit: u}
			panels[rw.panel] = p
			order = append(order, rw.panel)
		}
		m := chartMetric{ID: rw.id, Label: rw.label, Medians: map[string]float64{}}
		for _, rt := range res.runtimes {
			switch c := rw.cells[rt]; {
			case c.ok():
				m.Medians[rt] = c.median
			case c != nil:
				m.Failed = append(m.Failed, rt)
			}
		}
		p.Metrics = append(p.Metrics, m)
	}
	s := chartSummary{Runtimes: res.runtimes}
	for _, title := range order {
		s.Panels = append(s.Panels, *panels[title])
	}
	return s
}

// Command chart draws the bar chart of the benchmark results: for each
// workload, one bar per runtime at its median, on a logarithmic scale, so
// that figures hundreds of times apart fit one picture. It reads the
// summary that bench/cmd/benchreport writes and writes a PNG.
//
// Usage:
//
//	chart -in SUMMARY.json -out results.png [-title TEXT]
//
// It is a module of its own so that the plotting library stays out of the
// goasyncio module's dependencies.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
)

func main() {
	in := flag.String("in", "", "the summary JSON that benchreport wrote (required)")
	out := flag.String("out", "", "the PNG file to write (required)")
	title := flag.String("title", "goasyncio beside other runtimes", "the chart's title")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: chart -in SUMMARY.json -out results.png [-title TEXT]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *in == "" || *out == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*in, *out, *title); err != nil {
		fmt.Fprintln(os.Stderr, "chart:", err)
		os.Exit(1)
	}
}

func run(in, out, title string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var s summary
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if len(s.Panels) == 0 {
		return errors.New(in + ": nothing to draw")
	}
	return render(&s, title, out)
}

// A summary is what benchreport writes for the chart: the medians of each
// metric by runtime, grouped into panels of one unit.
type summary struct {
	Runtimes []string `json:"runtimes"`
	Panels   []panel  `json:"panels"`
}

// A panel is one plot of the chart.
type panel struct {
	Title   string   `json:"title"`
	Unit    string   `json:"unit"` // "ns", "bytes" or "req/s"
	Metrics []metric `json:"metrics"`
}

// A metric is one group of bars.
type metric struct {
	ID      string             `json:"id"`
	Label   string             `json:"label"`
	Medians map[string]float64 `json:"medians"`
	Failed  []string           `json:"failed"` // runtimes whose every run failed
}

// failed reports whether every run of rt failed on m.
func (m *metric) failed(rt string) bool { return slices.Contains(m.Failed, rt) }

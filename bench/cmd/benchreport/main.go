// Command benchreport turns the records that bench/run collected into the
// results: a table of medians per runtime and workload with goasyncio's
// ratio to each runtime and its targets, printed as text, written as
// Markdown (RESULTS.md), and summarized as JSON for bench/chart.
//
// Usage:
//
//	benchreport -in RECORDS [-meta META] [-md RESULTS.md] [-summary SUMMARY.json] [-chart PNG]
//
// RECORDS holds one JSON record a line (see bench/internal/record). META
// holds "key<TAB>value" lines describing the machine and the run, shown in
// RESULTS.md in their order. -chart names the chart image that RESULTS.md
// shows, relative to it. benchreport exits with status 1, after writing
// everything, when a run failed; a missed target is a finding, not an
// error.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/goasyncio/asyncio/bench/internal/record"
)

func main() {
	in := flag.String("in", "", "the records, one JSON object a line (required)")
	meta := flag.String("meta", "", `"key<TAB>value" lines about the machine and run`)
	md := flag.String("md", "", "write the Markdown report to this file")
	summary := flag.String("summary", "", "write the medians as JSON for bench/chart to this file")
	chart := flag.String("chart", "", "the chart image for the Markdown report to show")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: benchreport -in RECORDS [-meta META] [-md RESULTS.md] [-summary SUMMARY.json] [-chart PNG]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *in == "" || flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	status, err := report(*in, *meta, *md, *summary, *chart)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(2)
	}
	os.Exit(status)
}

// report does main's work and returns its exit status.
func report(in, meta, md, summary, chart string) (int, error) {
	recs, err := readRecords(in)
	if err != nil {
		return 0, err
	}
	var info []keyValue
	if meta != "" {
		if info, err = readMeta(meta); err != nil {
			return 0, err
		}
	}
	res := analyze(recs)
	fmt.Print(res.text())
	if md != "" {
		if err := os.WriteFile(md, []byte(res.markdown(info, chart)), 0o644); err != nil {
			return 0, err
		}
	}
	if summary != "" {
		b, err := json.MarshalIndent(res.summary(), "", "  ")
		if err != nil {
			return 0, err
		}
		if err := os.WriteFile(summary, append(b, '\n'), 0o644); err != nil {
			return 0, err
		}
	}
	if res.failures > 0 {
		return 1, nil
	}
	return 0, nil
}

func readRecords(name string) ([]record.Record, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return record.ReadAll(f)
}

// A keyValue is one line of the meta file.
type keyValue struct{ key, value string }

func readMeta(name string) ([]keyValue, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var kvs []keyValue
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		kvs = append(kvs, keyValue{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return kvs, sc.Err()
}

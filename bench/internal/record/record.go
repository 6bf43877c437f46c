// Package record defines the line that every benchmark program prints for
// one run of one workload, whatever its language, and reads such lines back.
//
// A line is one JSON object (see Record). The Python and Node.js programs
// under bench/ print the same fields; the field names are the contract
// between them, bench/run and the report.
package record

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// A Record is the outcome of one run of one workload by one runtime.
type Record struct {
	// Runtime names the implementation: goasyncio, asyncio, uvloop,
	// uvloop-proto (uvloop's raw protocol, for the echo server only),
	// greenlet, node or go.
	Runtime string `json:"runtime"`
	// Workload is the workload's ID, W1 to W7, W1c for W1 cold, W3m for
	// the memory half of W3, or E10 and E100 for the echo server.
	Workload string `json:"workload"`
	// Impl says in a few words how the runtime does the work, for example
	// "asyncio.Queue put_nowait/get".
	Impl string `json:"impl,omitempty"`
	// Ops is the number of operations timed: tasks, round trips, calls,
	// switches, requests or echoes.
	Ops int64 `json:"ops"`
	// WallNS is the wall time of the timed run, in nanoseconds.
	WallNS int64 `json:"wall_ns"`
	// NSPerOp is WallNS divided by Ops.
	NSPerOp float64 `json:"ns_per_op"`
	// RSSPeak is the process's peak resident set size, in bytes, when the
	// run ended; for the echo server, the server's, not the client's.
	RSSPeak int64 `json:"rss_peak_bytes"`
	// BytesPerTask is, for W3m, the growth of the resident set while the
	// tasks were parked, divided by their number; zero otherwise.
	BytesPerTask float64 `json:"bytes_per_task,omitempty"`
	// OK reports whether the run completed and its result checked out.
	OK bool `json:"ok"`
	// Check describes the check made, or why the run failed.
	Check string `json:"check"`
}

// Write writes r to w as one line of JSON.
func (r *Record) Write(w io.Writer) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// ReadAll reads records from r, one JSON object a line. Blank lines are
// skipped; a line that is not a record is an error naming the line.
func ReadAll(r io.Reader) ([]Record, error) {
	var recs []Record
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var rec Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			return nil, fmt.Errorf("record: line %d: %w", n, err)
		}
		if rec.Runtime == "" || rec.Workload == "" {
			return nil, fmt.Errorf("record: line %d: no runtime or workload", n)
		}
		recs = append(recs, rec)
	}
	return recs, sc.Err()
}

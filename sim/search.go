package sim

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// A Failure is a seed whose run failed: what Search and Check report.
type Failure struct {
	Seed  uint64
	Err   error
	Trace string // the world's trace up to the failure
}

func (f *Failure) Error() string {
	return fmt.Sprintf("sim: seed %d failed: %v", f.Seed, f.Err)
}

// Unwrap returns the run's error.
func (f *Failure) Unwrap() error { return f.Err }

// Search runs test in a new World for each of n seeds from first on, in
// order, and returns the first that fails, or nil. test sets the world up
// and runs it (World.Run), and returns what the run and its checks found.
func Search(first uint64, n int, test func(w *World) error) *Failure {
	for seed := first; seed < first+uint64(n); seed++ {
		if f := Replay(seed, test); f != nil {
			return f
		}
	}
	return nil
}

// Replay runs test in a new World of seed and returns its failure, or nil:
// the same seed gives the same run, so a failure Search found is replayed
// exactly, as often as needed.
func Replay(seed uint64, test func(w *World) error) *Failure {
	w := New(seed)
	if err := runTest(w, test); err != nil {
		return &Failure{Seed: seed, Err: err, Trace: w.Trace()}
	}
	return nil
}

// runTest runs test, turning a panic into its failure.
func runTest(w *World, test func(w *World) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return test(w)
}

// SeedEnv is the environment variable that makes Check replay one seed.
const SeedEnv = "SIM_SEED"

// Check is Search for a Go test: it runs test for seeds 1 to n and fails t
// with the first failing seed, its error, the end of its trace and the
// command that replays it. With SIM_SEED set, it runs that seed alone and
// prints its whole trace if it fails.
func Check(t testing.TB, n int, test func(w *World) error) {
	t.Helper()
	if s := os.Getenv(SeedEnv); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("sim: %s=%q is not a seed: want a number", SeedEnv, s)
		}
		if f := Replay(seed, test); f != nil {
			t.Fatalf("%v\ntrace:\n%s", f, f.Trace)
		}
		return
	}
	if f := Search(1, n, test); f != nil {
		t.Fatalf("%v\nlast events:\n%s\nreplay with: %s=%d go test -run '^%s$'",
			f, lastLines(f.Trace, 20), SeedEnv, f.Seed, t.Name())
	}
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

package futures

// This file is the worker's side of a process pool; workerproc.go is the
// pool's.

import (
	"bufio"
	"fmt"
	"io"
	"os"
)

// workerEnv is set in the environment of worker processes. Its presence
// makes ServeIfWorker serve; ServeIfWorker removes it, so that the worker's
// own child processes are ordinary.
const workerEnv = "GOASYNCIO_FUTURES_WORKER"

// The worker's ends of the pipes: the first two of exec.Cmd.ExtraFiles.
// Standard input and output stay the program's own, so that functions may
// print as they would anywhere.
const (
	workerRequestFD = 3
	workerReplyFD   = 4
)

// ServeIfWorker makes the program usable as a worker process of a
// ProcessPoolExecutor. In a process that a pool started, it serves calls
// until the pool closes the connection, then exits the process, without
// returning; in any other process it returns at once.
//
// A program that uses a ProcessPoolExecutor calls it first thing in main,
// the Go counterpart of Python's `if __name__ == "__main__":` guard, and a
// test binary calls it first thing in TestMain:
//
//	func main() {
//		futures.ServeIfWorker()
//		...
//	}
//
//	func TestMain(m *testing.M) {
//		futures.ServeIfWorker()
//		os.Exit(m.Run())
//	}
//
// What runs before it, package initialization, runs in every worker too;
// that is where Register belongs. A program that forgets it does not fork
// without end: in a worker process that did not call it, starting a worker
// fails.
func ServeIfWorker() {
	if os.Getenv(workerEnv) == "" {
		return
	}
	os.Unsetenv(workerEnv)
	requests, replies := workerPipes()
	if err := serve(requests, replies); err != nil {
		fmt.Fprintf(os.Stderr, "futures: worker process %d: %v\n", os.Getpid(), err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serve answers the requests read from r on w, one at a time, until r ends.
func serve(r io.Reader, w io.Writer) error {
	br, bw := bufio.NewReader(r), bufio.NewWriter(w)
	out, err := writeReply(bw, nil, replyHello, nil)
	if err != nil {
		return err
	}
	var in []byte
	for {
		name, arg, err := readRequest(br, &in)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read request: %w", err)
		}
		kind, payload := replyNotRegistered, []byte(nil)
		if fn := lookup(name); fn != nil {
			kind, payload = fn(arg)
		}
		out, err = writeReply(bw, out, kind, payload)
		if n := len(payload); err != nil && n+1 > maxFrame {
			out, err = writeReply(bw, out, replyEncoding, []byte("result: "+tooLarge(n).Error()))
		}
		if err != nil {
			return fmt.Errorf("write reply: %w", err)
		}
		if cap(out) > 64<<10 {
			out = nil // do not keep a large result's buffer for good
		}
	}
}

package futures

// This file is the worker's side of a process pool; workerproc.go is the
// pool's.

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/goasyncio/asyncio/futures/internal/remote"
)

// workerEnv is set in the environment of worker processes. Its presence
// makes ServeIfWorker serve; ServeIfWorker removes it, so that the worker's
// own child processes are ordinary.
const workerEnv = "GOASYNCIO_FUTURES_WORKER"

// The worker's ends of the pipes: exec.Cmd.ExtraFiles. Standard input and
// output stay the program's own, so that functions may print as they would
// anywhere.
const (
	workerRequestFD  = 3
	workerReplyFD    = 4
	workerLifelineFD = 5 // see watchLifeline
)

// ServeIfWorker makes the program usable as a worker process of a
// ProcessPoolExecutor. In a process that a pool started, it serves calls
// until the pool closes the connection, then exits the process, without
// returning; in any other process it returns at once. A worker also exits
// when the pool's process is gone, even in the middle of a call.
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
	requests, replies, lifeline := workerPipes()
	go watchLifeline(lifeline, poolGone)
	if err := serve(requests, replies); err != nil {
		fmt.Fprintf(os.Stderr, "futures: worker process %d: %v\n", os.Getpid(), err)
		os.Exit(1)
	}
	os.Exit(0)
}

// poolGone ends a worker whose pool's process is gone. It says nothing:
// that process may well have exited without Shutdown, which is no error, and
// then an idle worker would race to print before it read the end of its
// requests.
func poolGone() { os.Exit(1) }

// watchLifeline calls gone when r ends. r is the worker's end of a pipe
// that the pool never writes to and keeps open for as long as the worker
// lives, so it ends only when the pool's process is gone: it died, or
// exited without Shutdown. Then no one will read the worker's replies, and
// gone ends the worker, even in the middle of a call that may never return,
// rather than let it run on as an orphan. (On Linux the parent-death signal
// is there first; see workerSysProcAttr.)
//
// The rejected alternatives: a goroutine that waits on the request pipe
// while a call runs costs every call a goroutine and a handoff, and
// comparing os.Getppid with the parent's pid now and then wakes every
// worker periodically and still sees the death late.
func watchLifeline(r io.Reader, gone func()) {
	var b [1]byte
	r.Read(b[:]) // the end of input, or an error; the pool writes nothing
	gone()
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
		if fn := remote.Lookup(name); fn != nil {
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

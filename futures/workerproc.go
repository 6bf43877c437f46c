package futures

// This file is the pool's side of a worker process; worker.go is the
// worker's.
//
// The pool learns that a worker died from the process itself: a goroutine
// per worker waits for it (run) and, once it is reaped, interrupts
// whatever the pool is doing with its pipes. The end of input on the reply
// pipe is not enough, since it comes only when every copy of the pipe's
// write end is closed, and a process that the worker started may hold one
// for as long as it likes: the worker's code may fork without exec, or pass
// the descriptor on. ServeIfWorker sets close-on-exec on the worker's pipes,
// so that an ordinary child process does not get them, but the pool does
// not rely on it.

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A worker is the pool's side of a worker process.
type worker struct {
	cmd     *exec.Cmd
	req     *os.File        // requests; closing it tells the worker to exit
	reqConn syscall.RawConn // req's, for writes that do not wait
	life    *os.File        // the lifeline: never written, closed once the worker is reaped
	reply   *replyReader
	r       *bufio.Reader // reply frames, from reply
	in      []byte        // the last reply frame
	out     []byte        // the last request frame
	exited  chan struct{} // closed once the process is reaped
	sending requestSend
}

var executable = sync.OnceValues(os.Executable)

// aLongTimeAgo is a deadline that has passed, to interrupt a read or write.
var aLongTimeAgo = time.Unix(1, 0)

// errWorkerGone is what reading a dead worker's reply pipe returns once the
// pipe holds nothing more.
var errWorkerGone = errors.New("worker process gone")

// startWorker starts a worker process and waits until it serves.
func startWorker() (*worker, error) {
	if os.Getenv(workerEnv) != "" {
		// Starting a worker here would start this program once more, and
		// so on without end.
		return nil, errors.New("futures: cannot start a worker process from a worker process that did not call ServeIfWorker; call it first in main and TestMain")
	}
	exe, err := executable()
	if err != nil {
		return nil, fmt.Errorf("futures: start worker process: %w", err)
	}
	reqR, reqW, err1 := os.Pipe()
	replyR, replyW, err2 := os.Pipe()
	lifeR, lifeW, err3 := os.Pipe()
	theirs := []*os.File{reqR, replyW, lifeR} // workerRequestFD, workerReplyFD, workerLifelineFD
	ours := []*os.File{reqW, replyR, lifeW}
	if err := cmp.Or(err1, err2, err3); err != nil {
		closeAll(theirs)
		closeAll(ours)
		return nil, fmt.Errorf("futures: start worker process: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), workerEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = theirs
	cmd.SysProcAttr = workerSysProcAttr()
	reqConn, err := reqW.SyscallConn()
	if err != nil {
		closeAll(theirs)
		closeAll(ours)
		return nil, fmt.Errorf("futures: start worker process: %w", err)
	}
	reply := &replyReader{f: replyR}
	w := &worker{cmd: cmd, req: reqW, reqConn: reqConn, life: lifeW, reply: reply,
		r: bufio.NewReader(reply), exited: make(chan struct{})}
	w.sending.bind()
	started := make(chan error)
	go w.run(started)
	err = <-started
	closeAll(theirs) // the pool keeps its own ends only
	if err != nil {
		closeAll(ours)
		return nil, fmt.Errorf("futures: start worker process: %w", err)
	}
	if kind, _, err := readReply(w.r, &w.in); err != nil || kind != replyHello {
		return nil, fmt.Errorf("%w: pid %d ended before serving calls (%s); is futures.ServeIfWorker the first call in main and TestMain?",
			ErrBrokenWorker, w.pid(), w.kill())
	}
	return w, nil
}

// run starts the worker process, reports on started how that went, and if
// it started, waits for it to end and reaps it. Then whatever the worker
// wrote is in the reply pipe, and a read or write that waits for the worker
// stops waiting.
//
// run stays locked to one thread from the fork until the worker is reaped,
// which costs no thread, since it waits in a system call all that time.
// On Linux the kernel sends the worker its parent-death signal (see
// workerSysProcAttr) when the thread that forked it exits, not only when
// the whole process does, and Go ends a thread when a goroutine locked to
// it returns without unlocking, which any package may do. Were the worker
// forked from whatever thread the slot's goroutine happened to run on, such
// a goroutine could later run there and, by returning, have a healthy
// worker killed; no other goroutine runs on a locked thread.
func (w *worker) run(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	err := w.cmd.Start()
	started <- err
	if err != nil {
		return
	}
	w.cmd.Wait()
	w.reply.dead.Store(true)
	w.reply.f.SetReadDeadline(aLongTimeAgo)
	w.req.SetWriteDeadline(aLongTimeAgo) // a full pipe that no one reads
	close(w.exited)
}

// closeAll closes the files of fs that are not nil.
func closeAll(fs []*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}

func (w *worker) pid() int { return w.cmd.Process.Pid }

// hasExited reports whether the worker process is known to have ended.
func (w *worker) hasExited() bool {
	select {
	case <-w.exited:
		return true
	default:
		return false
	}
}

// send writes the request for the call j, of name with arg, and marks j's
// future running with the write that completes it: each write is one
// attempt that does not block, made with the future's mutex held (see
// core.startIf), so that Cancel cannot come between the last byte and the
// change of state. A worker acts on a request only once it has all of it.
// So if j is running, the worker has the whole request, and should it
// die, the call fails; if j is still pending, the worker died before it had
// the whole request (err says how), and the call may go to another worker.
// If j was cancelled, partial reports whether the worker holds part of the
// request, after which it cannot serve again.
//
// The rejected alternatives: marking the future running before the write
// reports running for a call that may still move to a new worker; marking
// it after the write lets a Cancel in between report cancelled for a call
// that the worker runs; and withholding the last byte until the future is
// marked makes the worker wake twice, which costs a small call half its
// time again.
func (w *worker) send(name string, arg []byte, j remoteJob) (state State, partial bool, err error) {
	b, err := appendRequest(w.out, name, arg)
	if cap(b) <= 64<<10 {
		w.out = b // keep a small buffer for the next request, not a large one
	}
	if err != nil {
		return Pending, false, fmt.Errorf("%w: %s: argument: %w", ErrEncoding, name, err)
	}
	s := &w.sending
	s.j, s.b, s.off, s.state, s.err = j, b, 0, Pending, nil
	werr := w.reqConn.Write(s.step)
	state, partial, err = s.state, s.off > 0, cmp.Or(s.err, werr)
	s.j, s.b = nil, nil
	return state, partial, err
}

// A requestSend is the state of a request that send is writing. Its
// callbacks are bound once per worker, so that a call allocates nothing
// for them.
type requestSend struct {
	j     remoteJob
	b     []byte // the request frame
	off   int    // how much of b is written
	fd    uintptr
	state State // of j's future
	err   error // of the last write
	step  func(fd uintptr) bool
	try   func() bool
}

func (s *requestSend) bind() {
	s.step, s.try = s.writeStep, s.tryWrite
}

// writeStep is the function for RawConn.Write, which calls it again, once
// the pipe has room, as long as it returns false.
func (s *requestSend) writeStep(fd uintptr) bool {
	s.fd = fd
	s.state = s.j.startIf(s.try)
	return s.state != Pending || s.err != nil
}

// tryWrite is the function for startIf: one write that does not wait.
func (s *requestSend) tryWrite() bool {
	n, err := writeNow(s.fd, s.b[s.off:])
	s.off += n
	s.err = err
	return s.off == len(s.b)
}

// readReply reads the worker's reply to the request sent last. The payload
// is valid until the next read.
func (w *worker) readReply() (kind byte, payload []byte, err error) {
	kind, payload, err = readReply(w.r, &w.in)
	if cap(w.in) > 64<<10 {
		w.in = nil // the payload stays valid; the next reply gets a new buffer
	}
	return kind, payload, err
}

// broken kills the worker, if it still runs, and returns the error of the
// call it failed, which err, from reading its reply or writing the request,
// caused.
func (w *worker) broken(err error) error {
	status := w.kill()
	if what, ok := isMalformed(err); ok {
		return fmt.Errorf("%w: pid %d: reply pipe carried a malformed frame (%s); the pool killed it: %s",
			ErrBrokenWorker, w.pid(), what, status)
	}
	return fmt.Errorf("%w: pid %d: %s", ErrBrokenWorker, w.pid(), status)
}

// kill ends the worker, if it still runs, waits until it is reaped, and
// returns how it ended, such as "exit status 3" or "signal: killed". A
// worker that exited by itself keeps its own status: killing a process that
// has exited but is not yet reaped does nothing.
func (w *worker) kill() string {
	w.cmd.Process.Kill()
	<-w.exited
	w.req.Close()
	w.reply.f.Close()
	w.life.Close()
	return w.cmd.ProcessState.String()
}

// close tells an idle worker to exit, by closing its request pipe, and
// waits until it is reaped.
func (w *worker) close() {
	w.req.Close()
	<-w.exited
	w.reply.f.Close()
	w.life.Close()
}

// A replyReader reads a worker's reply pipe. Once the worker is reaped,
// everything it wrote is in the pipe, and the reader takes what is there
// without waiting for more: a process that inherited the pipe's write end
// may keep it open for good, so the end of input might never come.
type replyReader struct {
	f    *os.File
	dead atomic.Bool // set by run, before the read deadline
}

func (p *replyReader) Read(b []byte) (int, error) {
	if !p.dead.Load() {
		n, err := p.f.Read(b)
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return n, err
		}
		// Only run sets a deadline, once the worker is reaped. A read
		// cut short by it may have left the worker's last bytes unread.
	}
	return readNow(p.f, b)
}

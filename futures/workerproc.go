package futures

// This file is the pool's side of a worker process; worker.go is the
// worker's.

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
)

// A worker is the pool's side of a worker process.
type worker struct {
	cmd   *exec.Cmd
	req   *os.File // requests; closing it tells the worker to exit
	reply *os.File
	w     *bufio.Writer
	r     *bufio.Reader
	buf   []byte // reply frames
}

var executable = sync.OnceValues(os.Executable)

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
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("futures: start worker process: %w", err)
	}
	replyR, replyW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("futures: start worker process: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), workerEnv+"=1")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{reqR, replyW} // workerRequestFD, workerReplyFD
	err = cmd.Start()
	reqR.Close() // the worker's ends; the pool keeps the others
	replyW.Close()
	if err != nil {
		reqW.Close()
		replyR.Close()
		return nil, fmt.Errorf("futures: start worker process: %w", err)
	}
	w := &worker{cmd: cmd, req: reqW, reply: replyR,
		w: bufio.NewWriter(reqW), r: bufio.NewReader(replyR)}
	if kind, _, err := readReply(w.r, &w.buf); err != nil || kind != replyHello {
		return nil, fmt.Errorf("%w: pid %d ended before serving calls (%s); is futures.ServeIfWorker the first call in main and TestMain?",
			ErrBrokenWorker, w.pid(), w.kill())
	}
	return w, nil
}

func (w *worker) pid() int { return w.cmd.Process.Pid }

// kill ends a broken worker, if it still runs, reaps it and returns how it
// ended, such as "exit status 3" or "signal: killed". A worker that exited
// by itself keeps its own status: killing a process that has exited but is
// not yet reaped does nothing.
func (w *worker) kill() string {
	w.cmd.Process.Kill()
	w.cmd.Wait()
	w.req.Close()
	w.reply.Close()
	return w.cmd.ProcessState.String()
}

// close tells an idle worker to exit, by closing its request pipe, and reaps
// it.
func (w *worker) close() {
	w.req.Close()
	w.cmd.Wait()
	w.reply.Close()
}

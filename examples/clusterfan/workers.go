package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/goasyncio/asyncio/futures/cluster"
)

// A workerProcess is a worker that run started.
type workerProcess struct {
	cmd    *exec.Cmd
	exited chan struct{} // closed once the process is reaped
}

// workers are the worker processes of a run.
type workers []*workerProcess

// startWorkers starts cfg.workers copies of this program as workers of the
// queue; on error it returns those it started, for stop.
func startWorkers(cfg config, url, queue string) (workers, error) {
	var ws workers
	for range cfg.workers {
		cmd, err := workerCommand(cfg)
		if err != nil {
			return ws, err
		}
		cmd.Env = append(os.Environ(),
			cluster.WorkerEnv+"="+url,
			cluster.QueueEnv+"="+queue,
			cluster.ConcurrencyEnv+"="+strconv.Itoa(cfg.concurrency))
		cmd.Stdout, cmd.Stderr = cfg.stderr, cfg.stderr
		cmd.SysProcAttr = workerAttr()
		if err := cmd.Start(); err != nil {
			return ws, fmt.Errorf("start a worker: %w", err)
		}
		w := &workerProcess{cmd: cmd, exited: make(chan struct{})}
		go func() { cmd.Wait(); close(w.exited) }()
		ws = append(ws, w)
	}
	return ws, nil
}

func workerCommand(cfg config) (*exec.Cmd, error) {
	if cfg.command != nil {
		return cfg.command(), nil
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find this program to start it as a worker: %w", err)
	}
	return exec.Command(exe), nil
}

func (ws workers) pids() []int {
	pids := make([]int, len(ws))
	for i, w := range ws {
		pids[i] = w.cmd.Process.Pid
	}
	return pids
}

// kill kills the worker with process ID pid with SIGKILL, as a crash
// would, and reaps it.
func (ws workers) kill(pid int) {
	for _, w := range ws {
		if w.cmd.Process.Pid == pid {
			w.cmd.Process.Kill()
			<-w.exited
		}
	}
}

// stop tells the workers to stop with SIGTERM, which they obey once the
// calls they run are done, and waits for them; one that has not exited
// after ten seconds is killed. Stopping stopped workers does nothing.
func (ws workers) stop() {
	for _, w := range ws {
		w.cmd.Process.Signal(syscall.SIGTERM)
	}
	late := make(chan struct{})
	t := time.AfterFunc(10*time.Second, func() { close(late) })
	defer t.Stop()
	for _, w := range ws {
		select {
		case <-w.exited:
		case <-late:
			w.cmd.Process.Kill()
			<-w.exited
		}
	}
}

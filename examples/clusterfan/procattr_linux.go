package main

import "syscall"

// workerAttr makes the kernel send a worker SIGTERM when the thread that
// started it ends, as it does when this program dies, so that no worker
// outlives a run that was killed. (Go keeps its threads while the program
// runs, unless a goroutine locked to one ends.)
func workerAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}

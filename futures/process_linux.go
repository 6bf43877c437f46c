package futures

import "syscall"

// workerSysProcAttr returns how worker processes are started. On Linux the
// kernel sends a worker SIGKILL when its parent dies (PR_SET_PDEATHSIG), so
// that a worker in a long call does not run on as an orphan when the pool's
// process is killed. The worker's own watch of its lifeline (see
// watchLifeline) would notice too, but only while its Go runtime still
// schedules goroutines. The signal is tied to the thread that forked the
// worker; worker.run says how that thread is kept.
func workerSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

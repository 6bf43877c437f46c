//go:build !linux

package futures

import "syscall"

// workerSysProcAttr returns how worker processes are started. Elsewhere
// than on Linux this package asks for no parent-death signal: a worker
// whose pool's process dies notices that its lifeline pipe has closed, and
// exits, even in the middle of a call, provided its Go runtime still
// schedules goroutines (see watchLifeline). A worker stuck where it cannot,
// such as in a loop without preemption under GODEBUG=asyncpreemptoff=1,
// stays until the call returns.
func workerSysProcAttr() *syscall.SysProcAttr { return nil }

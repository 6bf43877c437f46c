//go:build unix

package asyncio

import (
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// shellCommand runs command with the system's shell.
func shellCommand(command string) *exec.Cmd {
	return exec.Command("/bin/sh", "-c", command)
}

// terminate asks p to end.
func terminate(p *os.Process) error { return p.Signal(syscall.SIGTERM) }

// killedBy names the signal that ended a process, if one did, such as
// "SIGKILL" or "SIGSEGV (core dumped)".
func killedBy(state *os.ProcessState) (string, bool) {
	ws, ok := state.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return "", false
	}
	name := unix.SignalName(ws.Signal())
	if name == "" {
		name = ws.Signal().String()
	}
	if ws.CoreDump() {
		name += " (core dumped)"
	}
	return name, true
}

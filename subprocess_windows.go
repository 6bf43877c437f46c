//go:build windows

package asyncio

import (
	"os"
	"os/exec"
	"syscall"
)

// shellCommand runs command with the system's shell. cmd.exe parses its
// command line itself, by rules of its own, so the line is given as is
// rather than quoted argument by argument as exec.Command would.
func shellCommand(command string) *exec.Cmd {
	shell := os.Getenv("ComSpec")
	if shell == "" {
		shell = "cmd.exe"
	}
	cmd := exec.Command(shell)
	cmd.SysProcAttr = &syscall.SysProcAttr{CmdLine: syscall.EscapeArg(shell) + ` /c "` + command + `"`}
	return cmd
}

// terminate ends p: Windows has no signal that asks a process to end.
func terminate(p *os.Process) error { return p.Kill() }

// killedBy reports no signal: none ends a process on Windows.
func killedBy(*os.ProcessState) (string, bool) { return "", false }

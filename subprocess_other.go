//go:build !unix && !windows

package asyncio

import (
	"os"
	"os/exec"
)

// shellCommand runs command with the system's shell: rc, on Plan 9.
func shellCommand(command string) *exec.Cmd {
	return exec.Command("/bin/rc", "-c", command)
}

// terminate ends p.
func terminate(p *os.Process) error { return p.Kill() }

// killedBy reports no signal.
func killedBy(*os.ProcessState) (string, bool) { return "", false }

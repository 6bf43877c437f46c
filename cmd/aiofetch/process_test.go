package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// asCommand, set in the environment of the test binary, makes it run as the
// command itself (see TestMain): so the tests below exercise main, its
// signal handling and its real exit status, in a process of its own.
const asCommand = "AIOFETCH_TEST_AS_COMMAND"

// command returns the command aiofetch with args, as a process of its own.
func command(args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asCommand+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	return cmd, &stderr
}

// exitStatus returns the exit status of the finished cmd.
func exitStatus(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("the command did not run: %v", err)
	return -1
}

// TestCommandExitStatus checks the exit statuses that the usage text
// promises, as the shell sees them: 0 when every file is downloaded, 1 when
// some failed, 2 for bad usage.
func TestCommandExitStatus(t *testing.T) {
	srv, _ := testServer(t)
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"all downloaded", []string{"-q", srv.URL + "/one"}, 0},
		{"one failed", []string{"-q", "--retries", "0", srv.URL + "/one", srv.URL + "/missing"}, 1},
		{"bad usage", []string{"--no-such-flag", srv.URL + "/one"}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd, stderr := command(append([]string{"-o", t.TempDir()}, c.args...)...)
			if got := exitStatus(t, cmd.Run()); got != c.want {
				t.Errorf("exit status %d, want %d; stderr:\n%s", got, c.want, stderr)
			}
		})
	}
}

// TestCommandSIGINT sends a real SIGINT to the command while a download is
// under way: it must stop the downloads, leave only the partial file, say
// so, and exit with status 130, as a shell reports a death by SIGINT.
func TestCommandSIGINT(t *testing.T) {
	srv, sent := stallingServer(t)
	out := t.TempDir()
	cmd, stderr := command("-o", out, srv.URL+"/big.bin")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() // if the test fails before it ends
	select {
	case <-sent:
	case <-time.After(30 * time.Second):
		t.Fatalf("the command sent no request; stderr:\n%s", stderr)
	}
	waitForFile(t, filepath.Join(out, "big.bin.part"))
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if got := exitStatus(t, cmd.Wait()); got != 130 {
		t.Errorf("exit status %d after SIGINT, want 130; stderr:\n%s", got, stderr)
	}
	if !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("stderr does not say the run was interrupted:\n%s", stderr)
	}
	if _, err := os.Lstat(filepath.Join(out, "big.bin")); err == nil {
		t.Error("an interrupted download is under its final name")
	}
}

// waitForFile waits until path exists and is not empty, for at most ten
// seconds.
func waitForFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
			return
		}
	}
	t.Fatalf("%s was not written", path)
}

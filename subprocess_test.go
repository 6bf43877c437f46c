//go:build unix

package asyncio_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/goasyncio/asyncio"
)

// children returns the pids of the test binary's child processes, zombies
// included, read from /proc; nil where there is no /proc.
func children(t *testing.T) map[int]string {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil || len(stats) == 0 {
		return nil
	}
	self := os.Getpid()
	kids := make(map[int]string)
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // it ended meanwhile
		}
		// "pid (comm) state ppid ...", where comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid == self {
			pid, _ := strconv.Atoi(s[:strings.IndexByte(s, ' ')])
			kids[pid] = s[:i+1] + " " + f[0]
		}
	}
	return kids
}

// noChildLeft fails the test if a child process started during it, zombie
// or running, is still a child of the test binary when it ends; call it
// deferred at the top of a test.
func noChildLeft(t *testing.T) func() {
	t.Helper()
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc to count child processes in")
	}
	before := children(t)
	return func() {
		t.Helper()
		for pid, desc := range children(t) {
			if _, ok := before[pid]; !ok {
				t.Errorf("child process left after the test: %s", desc)
			}
		}
	}
}

// exitCode waits for p and checks that it exited with want.
func exitCode(t *testing.T, ctx context.Context, p *asyncio.Process, want int) {
	t.Helper()
	if code, err := p.Wait(ctx); code != want || err != nil {
		t.Errorf("Wait = %d, %v; want %d, nil", code, err, want)
	}
	if code, ok := p.ReturnCode(); code != want || !ok {
		t.Errorf("ReturnCode = %d, %v after Wait; want %d, true", code, ok, want)
	}
}

func TestSubprocessCommunicate(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: more than a pipe holds, both ways
	cases := []struct {
		name       string
		cmd        []string
		opts       []asyncio.ProcessOption
		input      []byte
		stdout     string
		stderr     string
		nilStderr  bool
		wantCode   int
		wantStdout []byte
	}{
		{name: "cat echoes its input", cmd: []string{"cat"}, input: []byte("hello\nworld\n"),
			opts:   []asyncio.ProcessOption{asyncio.WithStdin(asyncio.Pipe), asyncio.WithStdout(asyncio.Pipe), asyncio.WithStderr(asyncio.Pipe)},
			stdout: "hello\nworld\n"},
		{name: "cat echoes 1 MiB", cmd: []string{"cat"}, input: big,
			opts:       []asyncio.ProcessOption{asyncio.WithStdin(asyncio.Pipe), asyncio.WithStdout(asyncio.Pipe)},
			wantStdout: big, nilStderr: true},
		{name: "stderr and stdout apart", cmd: []string{"sh", "-c", "echo out; echo err >&2; exit 3"},
			opts:   []asyncio.ProcessOption{asyncio.WithStdout(asyncio.Pipe), asyncio.WithStderr(asyncio.Pipe)},
			stdout: "out\n", stderr: "err\n", wantCode: 3},
		{name: "stderr to stdout", cmd: []string{"sh", "-c", "echo out; echo err >&2"},
			opts:   []asyncio.ProcessOption{asyncio.WithStdout(asyncio.Pipe), asyncio.WithStderr(asyncio.Stdout)},
			stdout: "out\nerr\n", nilStderr: true},
		{name: "a child that floods stderr", cmd: []string{"sh", "-c", "head -c 1048576 /dev/zero >&2; echo done"},
			opts:   []asyncio.ProcessOption{asyncio.WithStdout(asyncio.Pipe), asyncio.WithStderr(asyncio.Pipe)},
			stdout: "done\n", stderr: string(make([]byte, 1<<20))},
		{name: "stdout to /dev/null", cmd: []string{"sh", "-c", "echo out; echo err >&2"},
			opts:   []asyncio.ProcessOption{asyncio.WithStdout(asyncio.DevNull), asyncio.WithStderr(asyncio.Pipe)},
			stderr: "err\n"},
		{name: "no pipes", cmd: []string{"sh", "-c", "exit 4"},
			opts:     []asyncio.ProcessOption{asyncio.WithStdout(asyncio.DevNull), asyncio.WithStderr(asyncio.DevNull)},
			wantCode: 4, nilStderr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer noChildLeft(t)()
			runReal(t, func(ctx context.Context) (int, error) {
				p, err := asyncio.CreateSubprocessExec(ctx, c.cmd[0], c.cmd[1:], c.opts...)
				if err != nil {
					return 0, err
				}
				stdout, stderr, err := p.Communicate(ctx, c.input)
				if err != nil {
					t.Errorf("Communicate: %v", err)
				}
				want := c.wantStdout
				if want == nil && c.stdout != "" {
					want = []byte(c.stdout)
				}
				if !bytes.Equal(stdout, want) {
					t.Errorf("stdout = %.40q (%d bytes), want %.40q (%d bytes)", stdout, len(stdout), want, len(want))
				}
				if string(stderr) != c.stderr || c.nilStderr && stderr != nil {
					t.Errorf("stderr = %.40q (%d bytes), want %.40q", stderr, len(stderr), c.stderr)
				}
				exitCode(t, ctx, p, c.wantCode)
				return 0, nil
			})
		})
	}
}

func TestSubprocessReadLine(t *testing.T) {
	defer noChildLeft(t)()
	runReal(t, func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessExec(ctx, "printf", []string{`a\nbb\nccc`}, asyncio.WithStdout(asyncio.Pipe))
		if err != nil {
			return 0, err
		}
		defer p.Stdout.Close()
		var got []string
		for {
			line, err := p.Stdout.ReadLine(ctx)
			got = append(got, string(line))
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return 0, err
			}
		}
		if want := "a\n|bb\n|ccc"; strings.Join(got, "|") != want {
			t.Errorf("lines %q, want %q", strings.Join(got, "|"), want)
		}
		if !p.Stdout.AtEOF() {
			t.Error("AtEOF = false after the last line")
		}
		exitCode(t, ctx, p, 0)
		return 0, nil
	})
}

// TestSubprocessWriteEOF talks to cat line by line, then ends its input
// with WriteEOF: cat then exits.
func TestSubprocessWriteEOF(t *testing.T) {
	defer noChildLeft(t)()
	runReal(t, func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessExec(ctx, "cat", nil, asyncio.WithStdin(asyncio.Pipe), asyncio.WithStdout(asyncio.Pipe))
		if err != nil {
			return 0, err
		}
		defer p.Stdin.Close()
		defer p.Stdout.Close()
		for _, msg := range []string{"one\n", "two\n"} {
			p.Stdin.Write([]byte(msg))
			if err := p.Stdin.Drain(ctx); err != nil {
				return 0, err
			}
			if line, err := p.Stdout.ReadLine(ctx); string(line) != msg || err != nil {
				t.Errorf("ReadLine = %q, %v; want %q", line, err, msg)
			}
		}
		if _, ok := p.ReturnCode(); ok {
			t.Error("cat exited before the end of its input")
		}
		if err := p.Stdin.WriteEOF(); err != nil {
			t.Errorf("WriteEOF: %v", err)
		}
		if line, err := p.Stdout.ReadLine(ctx); len(line) != 0 || err != io.EOF {
			t.Errorf("ReadLine after WriteEOF = %q, %v; want io.EOF", line, err)
		}
		exitCode(t, ctx, p, 0)
		if _, err := p.Stdin.Write([]byte("late\n")); err == nil {
			t.Error("Write after WriteEOF succeeded")
		}
		return 0, nil
	})
}

func TestSubprocessExitCode(t *testing.T) {
	cases := []struct {
		name  string
		start func(ctx context.Context) (*asyncio.Process, error)
		want  int
	}{
		{"exit 0", func(ctx context.Context) (*asyncio.Process, error) {
			return asyncio.CreateSubprocessExec(ctx, "sh", []string{"-c", "exit 0"})
		}, 0},
		{"exit 3", func(ctx context.Context) (*asyncio.Process, error) {
			return asyncio.CreateSubprocessExec(ctx, "sh", []string{"-c", "exit 3"})
		}, 3},
		{"shell exit 7", func(ctx context.Context) (*asyncio.Process, error) {
			return asyncio.CreateSubprocessShell(ctx, "true && exit 7")
		}, 7},
		{"false", func(ctx context.Context) (*asyncio.Process, error) {
			return asyncio.CreateSubprocessExec(ctx, "false", nil)
		}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer noChildLeft(t)()
			runReal(t, func(ctx context.Context) (int, error) {
				p, err := c.start(ctx)
				if err != nil {
					return 0, err
				}
				if p.Pid() <= 0 {
					t.Errorf("Pid = %d", p.Pid())
				}
				exitCode(t, ctx, p, c.want)
				exitCode(t, ctx, p, c.want) // again: at once
				return 0, nil
			})
		})
	}
}

// TestSubprocessOptions checks WithDir, WithEnv, WithPipeOptions and
// CreateSubprocessShell's quoting.
func TestSubprocessOptions(t *testing.T) {
	dir := t.TempDir()
	dir, _ = filepath.EvalSymlinks(dir)
	cases := []struct {
		name    string
		command string
		opts    []asyncio.ProcessOption
		want    string
	}{
		{"WithDir", "pwd", []asyncio.ProcessOption{asyncio.WithDir(dir)}, dir + "\n"},
		{"WithEnv", `echo "$GOASYNCIO_X|$HOME"`, []asyncio.ProcessOption{asyncio.WithEnv([]string{"GOASYNCIO_X=a b"})}, "a b|\n"},
		{"shell", `for w in 'x y' z; do echo "[$w]"; done`, nil, "[x y]\n[z]\n"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer noChildLeft(t)()
			runReal(t, func(ctx context.Context) (int, error) {
				p, err := asyncio.CreateSubprocessShell(ctx, c.command, append(c.opts, asyncio.WithStdout(asyncio.Pipe))...)
				if err != nil {
					return 0, err
				}
				out, _, err := p.Communicate(ctx, nil)
				if string(out) != c.want || err != nil {
					t.Errorf("output %q, %v; want %q", out, err, c.want)
				}
				return 0, nil
			})
		})
	}
	t.Run("WithPipeOptions", func(t *testing.T) {
		defer noChildLeft(t)()
		runReal(t, func(ctx context.Context) (int, error) {
			p, err := asyncio.CreateSubprocessExec(ctx, "printf", []string{`0123456789\nok\n`},
				asyncio.WithStdout(asyncio.Pipe), asyncio.WithPipeOptions(asyncio.WithStreamLimit(4)))
			if err != nil {
				return 0, err
			}
			defer p.Stdout.Close()
			var over *asyncio.LimitOverrunError
			if _, err := p.Stdout.ReadLine(ctx); !errors.As(err, &over) {
				t.Errorf("ReadLine of a line over the limit: %v, want a *LimitOverrunError", err)
			}
			if line, err := p.Stdout.ReadLine(ctx); string(line) != "ok\n" || err != nil {
				t.Errorf("next ReadLine = %q, %v", line, err)
			}
			exitCode(t, ctx, p, 0)
			return 0, nil
		})
	})
}

// sleepChild starts sleep 100, which only a signal or the loop's Close
// ends.
func sleepChild(t *testing.T, ctx context.Context, opts ...asyncio.ProcessOption) *asyncio.Process {
	t.Helper()
	p, err := asyncio.CreateSubprocessExec(ctx, "sleep", []string{"100"}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSubprocessSignals(t *testing.T) {
	cases := []struct {
		name string
		send func(p *asyncio.Process) error
		want string
	}{
		{"Kill", (*asyncio.Process).Kill, "SIGKILL"},
		{"Terminate", (*asyncio.Process).Terminate, "SIGTERM"},
		{"SendSignal", func(p *asyncio.Process) error { return p.SendSignal(syscall.SIGUSR1) }, "SIGUSR1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer noChildLeft(t)()
			runReal(t, func(ctx context.Context) (int, error) {
				p := sleepChild(t, ctx)
				if err := c.send(p); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				code, err := p.Wait(ctx)
				var exitErr *exec.ExitError
				if code != -1 || !errors.As(err, &exitErr) || !strings.Contains(err.Error(), "killed by "+c.want) {
					t.Errorf("Wait = %d, %v; want -1 and an *exec.ExitError naming %s", code, err, c.want)
				}
				if code, ok := p.ReturnCode(); code != -1 || !ok {
					t.Errorf("ReturnCode = %d, %v; want -1, true", code, ok)
				}
				if err := c.send(p); !errors.Is(err, os.ErrProcessDone) {
					t.Errorf("%s after exit: %v, want os.ErrProcessDone", c.name, err)
				}
				return 0, nil
			})
		})
	}
}

// TestSubprocessKilledBySignalItself: a child that a signal ends, not sent
// by the parent.
func TestSubprocessKilledBySignalItself(t *testing.T) {
	defer noChildLeft(t)()
	runReal(t, func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessShell(ctx, "kill -TERM $$")
		if err != nil {
			return 0, err
		}
		if code, err := p.Wait(ctx); code != -1 || err == nil || !strings.Contains(err.Error(), "SIGTERM") {
			t.Errorf("Wait = %d, %v; want -1 and an error naming SIGTERM", code, err)
		}
		return 0, nil
	})
}

// TestSubprocessWaitInterrupted: a Wait that is cancelled, or whose
// derived ctx is done, does not stop the child, and a later Wait gets its
// code.
func TestSubprocessWaitInterrupted(t *testing.T) {
	defer noChildLeft(t)()
	runReal(t, func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessExec(ctx, "cat", nil, asyncio.WithStdin(asyncio.Pipe))
		if err != nil {
			return 0, err
		}
		code := 0
		waiter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			var err error
			code, err = p.Wait(ctx)
			return code, err
		})
		if err := asyncio.Sleep(ctx, 0); err != nil { // the waiter waits
			return 0, err
		}
		waiter.Cancel()
		if _, err := asyncio.Await(ctx, waiter); code != -1 || !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("cancelled Wait = %d, %v; want -1, ErrCancelled", code, err)
		}
		done, cancel := context.WithCancel(ctx)
		cancel()
		if code, err := p.Wait(done); code != -1 || !errors.Is(err, context.Canceled) {
			t.Errorf("Wait with a done ctx = %d, %v; want -1, context.Canceled", code, err)
		}
		if _, ok := p.ReturnCode(); ok {
			t.Error("cat exited after the interrupted waits")
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(p.Pid())); err != nil {
			t.Errorf("cat is gone after the interrupted waits: %v", err)
		}
		p.Stdin.Close() // cat ends
		exitCode(t, ctx, p, 0)
		return 0, nil
	})
}

// TestSubprocessCommunicateInterrupted: a Communicate that is cancelled,
// or whose derived ctx is done, leaves the child running and loses none of
// its output, which the next Communicate returns. The child copies its
// input to stdout, then waits for a line on a FIFO that the test writes
// once it has seen the interrupted calls return.
func TestSubprocessCommunicateInterrupted(t *testing.T) {
	defer noChildLeft(t)()
	fifo := filepath.Join(t.TempDir(), "go")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	input := bytes.Repeat([]byte("0123456789abcdef"), 1<<14) // 256 KiB: more than a pipe holds
	runReal(t, func(ctx context.Context) (int, error) {
		trigger, err := os.OpenFile(fifo, os.O_RDWR, 0) // read-write: the child's open does not block
		if err != nil {
			return 0, err
		}
		defer trigger.Close()
		p, err := asyncio.CreateSubprocessShell(ctx, `cat; read x < '`+fifo+`'; echo "after $x"; echo err >&2`,
			asyncio.WithStdin(asyncio.Pipe), asyncio.WithStdout(asyncio.Pipe), asyncio.WithStderr(asyncio.Pipe))
		if err != nil {
			return 0, err
		}
		done, cancel := context.WithCancel(ctx)
		cancel()
		if out, errOut, err := p.Communicate(done, input); out != nil || errOut != nil || !errors.Is(err, context.Canceled) {
			t.Errorf("Communicate with a done ctx = %.20q, %q, %v; want nil, nil, context.Canceled", out, errOut, err)
		}
		c := asyncio.CreateTask(ctx, func(ctx context.Context) ([]byte, error) {
			out, _, err := p.Communicate(ctx, []byte("ignored\n"))
			return out, err
		})
		if err := asyncio.Sleep(ctx, 0); err != nil { // c waits in Communicate
			return 0, err
		}
		c.Cancel()
		if _, err := asyncio.Await(ctx, c); !errors.Is(err, asyncio.ErrCancelled) {
			t.Errorf("cancelled Communicate: %v, want ErrCancelled", err)
		}
		if _, ok := p.ReturnCode(); ok {
			t.Error("the child exited after the interrupted calls")
		}
		if _, err := trigger.Write([]byte("go\n")); err != nil {
			return 0, err
		}
		want := string(input) + "after go\n"
		out, errOut, err := p.Communicate(ctx, nil)
		if string(out) != want || string(errOut) != "err\n" || err != nil {
			t.Errorf("Communicate after the interrupted calls = %d bytes, %q, %v; want %d bytes, \"err\\n\", nil", len(out), errOut, err, len(want))
		}
		if again, _, _ := p.Communicate(ctx, nil); string(again) != want {
			t.Errorf("Communicate once more = %d bytes, want the same %d again", len(again), len(want))
		}
		exitCode(t, ctx, p, 0)
		return 0, nil
	})
}

// TestSubprocessCommunicateKilled: a child killed while Communicate waits
// for it; Communicate returns what it wrote and the error naming the
// signal.
func TestSubprocessCommunicateKilled(t *testing.T) {
	defer noChildLeft(t)()
	runReal(t, func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessShell(ctx, "echo started; exec sleep 100", asyncio.WithStdout(asyncio.Pipe))
		if err != nil {
			return 0, err
		}
		c := asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) {
			out, _, err := p.Communicate(ctx, nil)
			return string(out), err
		})
		if err := asyncio.Sleep(ctx, 0); err != nil { // c waits in Communicate
			return 0, err
		}
		if err := p.Kill(); err != nil {
			t.Errorf("Kill: %v", err)
		}
		out, err := asyncio.Await(ctx, c)
		if !strings.Contains(errString(err), "SIGKILL") || (out != "" && out != "started\n") {
			t.Errorf("Communicate of a killed child = %q, %v; want its output so far and an error naming SIGKILL", out, err)
		}
		return 0, nil
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSubprocessCommunicateMisuse(t *testing.T) {
	defer noChildLeft(t)()
	runReal(t, func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessExec(ctx, "true", nil)
		if err != nil {
			return 0, err
		}
		if _, _, err := p.Communicate(ctx, []byte("x")); err == nil || !strings.Contains(err.Error(), "WithStdin(Pipe)") {
			t.Errorf("Communicate with input and no stdin pipe: %v", err)
		}
		if out, errOut, err := p.Communicate(ctx, nil); out != nil || errOut != nil || err != nil {
			t.Errorf("Communicate without pipes = %q, %q, %v", out, errOut, err)
		}
		return 0, nil
	})
}

// TestSubprocessStdoutClosedEarly: a child that closes its stdout and
// goes on: the stream ends, and the child runs until its input ends.
func TestSubprocessStdoutClosedEarly(t *testing.T) {
	defer noChildLeft(t)()
	runReal(t, func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessShell(ctx, "echo bye; exec >&-; cat >/dev/null",
			asyncio.WithStdin(asyncio.Pipe), asyncio.WithStdout(asyncio.Pipe))
		if err != nil {
			return 0, err
		}
		defer p.Stdout.Close()
		if line, err := p.Stdout.ReadLine(ctx); string(line) != "bye\n" || err != nil {
			t.Errorf("ReadLine = %q, %v", line, err)
		}
		if line, err := p.Stdout.ReadLine(ctx); len(line) != 0 || err != io.EOF {
			t.Errorf("ReadLine after the child closed stdout = %q, %v; want io.EOF", line, err)
		}
		if _, ok := p.ReturnCode(); ok {
			t.Error("the child exited before the end of its input")
		}
		p.Stdin.Close()
		exitCode(t, ctx, p, 0)
		return 0, nil
	})
}

func TestSubprocessNotFound(t *testing.T) {
	defer noChildLeft(t)()
	runReal(t, func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessExec(ctx, "goasyncio-no-such-program", nil,
			asyncio.WithStdin(asyncio.Pipe), asyncio.WithStdout(asyncio.Pipe), asyncio.WithStderr(asyncio.Pipe))
		if p != nil || !errors.Is(err, exec.ErrNotFound) {
			t.Errorf("CreateSubprocessExec of a missing program = %v, %v; want an error matching exec.ErrNotFound", p, err)
		}
		_, err = asyncio.CreateSubprocessExec(ctx, "/", nil, asyncio.WithStdout(asyncio.Pipe))
		if err == nil {
			t.Error("CreateSubprocessExec of a directory succeeded")
		}
		return 0, nil // runReal checks that the pipes were closed
	})
}

func TestSubprocessStdioModeMisuse(t *testing.T) {
	panicMatches(t, mustPanic(t, func() { asyncio.WithStdin(asyncio.Stdout) }), nil, "WithStdin")
	panicMatches(t, mustPanic(t, func() { asyncio.WithStdout(asyncio.Stdout) }), nil, "for stderr only")
	panicMatches(t, mustPanic(t, func() { asyncio.WithStderr(asyncio.StdioMode(9)) }), nil, "WithStderr(9)")
}

// TestSubprocessRunKillsChildren: Run kills and reaps the children still
// running when it returns, with their pipes and goroutines, whatever its
// tasks were doing with them; on both clocks.
func TestSubprocessRunKillsChildren(t *testing.T) {
	cases := []struct {
		name string
		main func(t *testing.T, ctx context.Context) []int
	}{
		{"left running", func(t *testing.T, ctx context.Context) []int {
			p := sleepChild(t, ctx)
			q := sleepChild(t, ctx, asyncio.WithStdin(asyncio.Pipe), asyncio.WithStdout(asyncio.Pipe), asyncio.WithStderr(asyncio.Pipe))
			return []int{p.Pid(), q.Pid()}
		}},
		{"tasks waiting", func(t *testing.T, ctx context.Context) []int {
			p := sleepChild(t, ctx, asyncio.WithStdout(asyncio.Pipe))
			q := sleepChild(t, ctx, asyncio.WithStdout(asyncio.Pipe))
			asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return p.Wait(ctx) })
			asyncio.CreateTask(ctx, func(ctx context.Context) ([]byte, error) { return p.Stdout.ReadLine(ctx) })
			asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				_, _, err := q.Communicate(ctx, nil)
				return 0, err
			})
			asyncio.Sleep(ctx, 0)
			return []int{p.Pid(), q.Pid()}
		}},
	}
	for _, c := range cases {
		for _, clock := range []string{"real", "virtual"} {
			t.Run(c.name+"/"+clock, func(t *testing.T) {
				defer noChildLeft(t)()
				var pids []int
				main := func(ctx context.Context) (int, error) {
					pids = c.main(t, ctx)
					return 0, nil
				}
				if clock == "real" {
					runReal(t, main)
				} else {
					run(t, main)
				}
				kids := children(t)
				for _, pid := range pids {
					if desc, ok := kids[pid]; ok {
						t.Errorf("process %d is still a child after Run: %s", pid, desc)
					}
				}
			})
		}
	}
}

// TestSubprocessVirtualClock: a running child counts as work in flight, so
// a loop on the virtual clock that waits only for it reports no deadlock.
func TestSubprocessVirtualClock(t *testing.T) {
	defer noChildLeft(t)()
	run(t, func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessExec(ctx, "sh", []string{"-c", "exit 5"})
		if err != nil {
			return 0, err
		}
		exitCode(t, ctx, p, 5)
		q, err := asyncio.CreateSubprocessExec(ctx, "cat", nil, asyncio.WithStdin(asyncio.Pipe), asyncio.WithStdout(asyncio.Pipe))
		if err != nil {
			return 0, err
		}
		if out, _, err := q.Communicate(ctx, []byte("virtual\n")); string(out) != "virtual\n" || err != nil {
			t.Errorf("Communicate = %q, %v", out, err)
		}
		return 0, nil
	})
}

//go:build unix

package futures_test

// Faults from outside the pool's control: a worker stopped or killed while
// its call is being sent, processes that inherit a worker's pipes, junk
// written into them, and the death of the pool's own process.

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"

	"github.com/goasyncio/asyncio/futures"
)

var (
	length  = futures.Register("test.len", func(s string) (int, error) { return len(s), nil })
	sleeper = futures.Register("test.sleeper", startSleeper)
	junk    = futures.Register("test.junk", writeJunk)
	spin    = futures.Register("test.spin", spinForever)
)

// A sleeperArg tells startSleeper where to report, and whether to give the
// worker's pipes to its child on purpose.
type sleeperArg struct {
	Fifo      string
	PassPipes bool
}

// startSleeper starts `sleep 3600` as a child of the worker, writes its pid
// to the fifo and blocks until the worker is killed.
func startSleeper(a sleeperArg) (int, error) {
	cmd := exec.Command("sleep", "3600")
	if a.PassPipes {
		// Duplicates, so that no *os.File in this process owns the pool's
		// descriptors and closes them when collected.
		for _, fd := range []int{3, 4} {
			dup, err := syscall.Dup(fd)
			if err != nil {
				return 0, err
			}
			cmd.ExtraFiles = append(cmd.ExtraFiles, os.NewFile(uintptr(dup), "pool pipe"))
		}
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	f, err := os.OpenFile(a.Fifo, os.O_WRONLY, 0)
	if err != nil {
		return 0, err
	}
	fmt.Fprintln(f, cmd.Process.Pid)
	f.Close()
	select {}
}

// writeJunk writes s into the worker's reply pipe, as a stray write from a
// function or a library would, and returns normally.
func writeJunk(s string) (int, error) {
	_, err := syscall.Write(4, []byte(s))
	return len(s), err
}

var spinSink int

// spinForever tells the test it runs, on the standard output it shares
// with the pool's process, and never returns.
func spinForever(struct{}) (int, error) {
	fmt.Println("spinning")
	for {
		spinSink++
	}
}

// processState returns the state of process pid, as the third field of
// /proc/PID/stat gives it ("R", "S", "Z", ...), and its number of threads,
// or "" if there is no such process. Without /proc it returns "?" and 0 for
// a process that exists.
func processState(pid int) (state string, threads int) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err == nil {
		// Fields 3 and 20; the command name before them, in parentheses,
		// may hold spaces.
		if i := strings.LastIndexByte(string(b), ')'); i >= 0 {
			if f := strings.Fields(string(b[i+1:])); len(f) > 17 {
				threads, _ = strconv.Atoi(f[17])
				return f[0], threads
			}
		}
		return "?", 0
	}
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		return "", 0
	}
	return "?", 0
}

// isDead reports whether process pid is dead: reaped, or a zombie with no
// thread left that could still hold its files.
func isDead(pid int) bool {
	s, threads := processState(pid)
	return s == "" || s == "Z" && threads <= 1
}

// waitDead polls until process pid is dead, and reports whether it died
// within d. It polls because a process that is not the test's child
// announces its death to no one here.
func waitDead(t *testing.T, pid int, d time.Duration) bool {
	t.Helper()
	for deadline := time.Now().Add(d); !isDead(pid); {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// killLater kills process pid when the test ends, in case a failure left it
// running. A test lasts far too short a time for the pid to be reused.
func killLater(t *testing.T, pid int) {
	if pid <= 1 {
		t.Fatalf("killLater(%d): not a process of its own; it would signal a group", pid)
	}
	t.Cleanup(func() {
		if !isDead(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// openFDs returns how many file descriptors the test process has open, or
// -1 if it cannot tell.
func openFDs(t *testing.T) int {
	t.Helper()
	// Creating a pipe sets up the runtime's poller once and for all, so
	// that its descriptors do not count as leaked by the first test.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	w.Close()
	es, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(es)
}

func checkFDs(t *testing.T, before int) {
	t.Helper()
	if after := openFDs(t); after != before {
		t.Errorf("%d file descriptors open after the test, %d before", after, before)
	}
}

func TestCallPendingUntilSent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	p := futures.NewProcessPool(1)
	defer p.Shutdown(true)
	pid := workerPID(t, p)
	// A stopped worker reads nothing, so a request larger than a pipe
	// holds cannot be written to it.
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	arg := strings.Repeat("x", 1<<20)
	f := futures.Call(p, length, arg)
	if s := f.State(); s != futures.Pending {
		t.Errorf("the call is %v while its request cannot be written; want pending", s)
	}
	// The worker dies before it had the request: the call has not run and
	// goes to a new worker.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	n, err := f.ResultTimeout(hangLimit)
	if n != len(arg) || err != nil {
		t.Errorf("call after its worker died unsent: %d, %v; want %d from a new worker", n, err, len(arg))
	}
}

func TestCallCancelledPartlySentReplacesTheWorker(t *testing.T) {
	// A worker that holds part of a request would read the next request
	// as the rest of it: cancelling a call whose request is partly written
	// must cost the worker, not the calls after it.
	p := newPool(t, 1)
	pid := callOK(t, p, getpid, struct{}{})
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	killLater(t, pid) // runs before p.Shutdown: it unblocks a stuck pool
	f := futures.Call(p, length, strings.Repeat("x", 1<<20))
	waitRequestBegun(t, pid)
	if !f.Cancel() {
		t.Fatalf("Cancel of a call whose request is partly written failed: %v", f.State())
	}
	syscall.Kill(pid, syscall.SIGCONT) // the pipe has room again
	next, err := futures.Call(p, getpid, struct{}{}).ResultTimeout(hangLimit)
	if err != nil || next == pid {
		t.Errorf("the call after the cancelled one: pid %d, %v; want a new worker (not %d)", next, err, pid)
	}
	if _, err := f.Result(); !errors.Is(err, futures.ErrCancelled) {
		t.Errorf("the cancelled call: %v", err)
	}
}

// waitRequestBegun waits until the request pipe of the stopped worker pid
// holds something: the pool has begun to write a request. It needs Linux's
// /proc, through which the test opens the worker's end of the pipe.
func waitRequestBegun(t *testing.T, pid int) {
	t.Helper()
	fd, err := unix.Open(fmt.Sprintf("/proc/%d/fd/3", pid), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Skipf("cannot open the worker's request pipe: %v", err)
	}
	defer unix.Close(fd)
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, int(hangLimit.Milliseconds()))
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			t.Fatal(err)
		case n == 0:
			t.Fatalf("no request reached the worker in %v", hangLimit)
		}
		return
	}
}

func TestWorkerDeathWithGrandchildHoldingPipes(t *testing.T) {
	if _, err := exec.LookPath("sleep"); err != nil {
		t.Skip(err)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tc := range []struct {
		name      string
		passPipes bool
	}{
		{"Inherited", false}, // an ordinary child: it must not get them
		{"Passed", true},     // handed over on purpose: the pool must cope
	} {
		t.Run(tc.name, func(t *testing.T) {
			fds := openFDs(t)
			p := futures.NewProcessPool(1)
			t.Cleanup(func() {
				p.Shutdown(true)
				if fds >= 0 {
					checkFDs(t, fds)
				}
			})
			pid := workerPID(t, p)
			gate := newFifo(t)
			f := futures.Call(p, sleeper, sleeperArg{string(gate), tc.passPipes})
			child := readPid(t, gate)
			killLater(t, child) // runs before p.Shutdown: it unblocks a stuck pool
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed := time.Now()
			_, err := f.ResultTimeout(hangLimit)
			if errors.Is(err, futures.ErrTimeout) {
				t.Fatalf("the call still runs %v after its worker was killed, while the worker's child %d lives", hangLimit, child)
			}
			t.Logf("worker killed to error: %v", time.Since(killed))
			if !errors.Is(err, futures.ErrBrokenWorker) || !strings.Contains(err.Error(), "signal: killed") {
				t.Errorf("error %v, want ErrBrokenWorker with the signal", err)
			}
			if next := workerPID(t, p); next == pid {
				t.Errorf("the next call ran on the killed worker %d", pid)
			}
		})
	}
}

// readPid reads the pid that startSleeper writes to the fifo.
func readPid(t *testing.T, gate fifo) int {
	t.Helper()
	f, err := os.Open(string(gate)) // waits for the writer
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pid int
	if _, err := fmt.Fscan(f, &pid); err != nil {
		t.Fatalf("reading the child's pid: %v", err)
	}
	return pid
}

func TestJunkOnReplyPipe(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tc := range []struct {
		name, junk string
	}{
		// Read as a frame length, "hell" is 1.75 GB.
		{"HugeLength", "hello, world\n"},
		// A well-formed frame of the unchecked format, of unknown kind 7,
		// after which the real reply would answer the next call.
		{"ShortFrame", "\x00\x00\x00\x01\x07"},
		{"OneByte", "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fds := openFDs(t)
			p := futures.NewProcessPool(1)
			pid := workerPID(t, p)
			killLater(t, pid) // unblocks a stuck pool
			_, err := futures.Call(p, junk, tc.junk).ResultTimeout(hangLimit)
			if errors.Is(err, futures.ErrTimeout) {
				t.Fatalf("the call still runs %v after junk on its reply pipe", hangLimit)
			}
			if !errors.Is(err, futures.ErrBrokenWorker) || !strings.Contains(err.Error(), "reply pipe carried a malformed frame") {
				t.Errorf("error %v, want ErrBrokenWorker about a malformed frame", err)
			}
			if !waitDead(t, pid, hangLimit) {
				t.Errorf("the worker %d that sent junk still runs", pid)
			}
			next, err := futures.Call(p, getpid, struct{}{}).ResultTimeout(hangLimit)
			if err != nil || next == pid {
				t.Errorf("the call after the junk: pid %d, %v; want a new worker", next, err)
			}
			if v, err := futures.Call(p, square, 5).ResultTimeout(hangLimit); v != 25 || err != nil {
				t.Errorf("square(5) = %d, %v after the junk", v, err)
			}
			p.Shutdown(true)
			if fds >= 0 {
				checkFDs(t, fds)
			}
		})
	}
}

func TestWatchLifeline(t *testing.T) {
	r, w := io.Pipe()
	gone := make(chan struct{})
	go futures.WatchLifeline(r, func() { close(gone) })
	w.Close() // the pool's process is gone
	select {
	case <-gone:
	case <-time.After(hangLimit):
		t.Fatalf("the lifeline's end went unnoticed for %v", hangLimit)
	}
}

// orphanParentEnv makes the test binary play the pool's process for
// TestWorkerDiesWithPoolProcess.
const orphanParentEnv = "FUTURES_TEST_ORPHAN_PARENT"

func init() {
	helpers[orphanParentEnv] = orphanParent
}

// orphanParent starts a worker, prints its pid, starts a call on it that
// never ends, and waits to be killed.
func orphanParent() {
	p := futures.NewProcessPool(1)
	pid, err := futures.Call(p, getpid, struct{}{}).Result()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("worker %d\n", pid)
	futures.Call(p, spin, struct{}{})
	time.Sleep(time.Hour) // until the test kills this process
	os.Exit(1)
}

func TestWorkerDiesWithPoolProcess(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), orphanParentEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	out.(*os.File).SetReadDeadline(time.Now().Add(hangLimit))
	sc := bufio.NewScanner(out)
	var pid int
	for sc.Scan() && sc.Text() != "spinning" { // the worker runs the call
		fmt.Sscanf(sc.Text(), "worker %d", &pid)
	}
	if err := sc.Err(); err != nil || pid <= 1 {
		t.Fatalf("the pool's process did not report a worker in a call: pid %d, %v", pid, err)
	}
	killLater(t, pid)
	cmd.Process.Kill()
	killed := time.Now()
	cmd.Wait()
	if !waitDead(t, pid, hangLimit) {
		t.Fatalf("worker %d still runs %v after its pool's process was killed", pid, hangLimit)
	}
	t.Logf("pool's process killed to worker dead: %v", time.Since(killed))
}

// TestWorkerExitStatus starts the test binary as a worker by hand, with
// pipes the test holds, and pins how ServeIfWorker ends the process: status
// 0 and nothing said once its requests end, status 1 and the reason on
// standard error when a request is junk.
func TestWorkerExitStatus(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, tc := range []struct {
		name, requests string
		code           int
		stderr         string
	}{
		{"EndOfRequests", "", 0, ""},
		{"JunkRequest", "hello, world\n", 1, "read request: malformed frame"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var pipes [3][2]*os.File // requests, replies, lifeline: reader, writer
			for i := range pipes {
				r, w, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { r.Close(); w.Close() })
				pipes[i] = [2]*os.File{r, w}
			}
			cmd := exec.Command(exe)
			cmd.Env = append(os.Environ(), futures.WorkerEnv+"=1")
			cmd.ExtraFiles = []*os.File{pipes[0][0], pipes[1][1], pipes[2][0]}
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			// The lifeline stays open until the worker has exited, so
			// that only its requests end it.
			t.Cleanup(func() {
				cmd.Process.Kill()
				<-exited
			})
			pipes[0][0].Close()
			pipes[1][1].Close()
			pipes[2][0].Close()
			if kind, _, err := futures.ReadReply(bufio.NewReader(pipes[1][0])); err != nil || kind != futures.ReplyHello {
				t.Fatalf("the worker's first reply: kind %d, %v; want hello", kind, err)
			}
			pipes[0][1].WriteString(tc.requests)
			pipes[0][1].Close()
			var werr error
			select {
			case werr = <-exited:
				exited <- werr // for the cleanup
			case <-time.After(hangLimit):
				t.Fatalf("the worker still runs %v after its requests ended", hangLimit)
			}
			code := 0
			if ee, ok := werr.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if werr != nil {
				t.Fatal(werr)
			}
			said := stderr.String()
			if tc.stderr == "" && said != "" || !strings.Contains(said, tc.stderr) {
				t.Errorf("the worker said %q, want %q", said, tc.stderr)
			}
			if code != tc.code {
				t.Errorf("the worker exited with status %d, want %d", code, tc.code)
			}
		})
	}
}

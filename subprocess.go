package asyncio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"time"

	"github.com/goasyncio/asyncio/internal/waitq"
)

// How a child process is run. os/exec starts it on the loop's goroutine,
// as asyncio forks on its loop's thread: starting it on another goroutine
// would make CreateSubprocessExec a wait for no more than a fork and exec
// take, and leave a cancelled start with a child to clean up. Pipes to it
// are made with os.Pipe (the parent's ends are close-on-exec) and wrapped
// as Streams, so they read and write as connections do. One goroutine per
// process, the reaper, waits for it to exit and hands its status to the
// loop. The reaper reaps the child whatever the tasks do: a cancelled Wait
// or Communicate leaves the process running, and it is reaped when it
// ends, so no zombie is left. While the process runs it counts as work in
// flight, as executor work does, so a virtual clock does not jump past it
// and no deadlock is reported while it may still exit.
//
// The loop tracks each process it started: when the loop closes, a child
// still running is killed and reaped, so Run never returns leaving a child
// of its own running or a zombie behind.

// A StdioMode says what a standard stream of a child process is connected
// to; see WithStdin, WithStdout and WithStderr.
type StdioMode int

const (
	// Inherit gives the child the parent's stream: asyncio's None, and
	// the default.
	Inherit StdioMode = iota
	// Pipe connects the stream to the parent through a pipe, which the
	// parent reads or writes as a Stream: asyncio.subprocess.PIPE.
	Pipe
	// DevNull connects the stream to os.DevNull:
	// asyncio.subprocess.DEVNULL.
	DevNull
	// Stdout, for stderr only, sends the child's stderr where its stdout
	// goes: asyncio.subprocess.STDOUT.
	Stdout
)

// A ProcessOption configures a process made by CreateSubprocessExec or
// CreateSubprocessShell.
type ProcessOption interface{ applyProcess(*processConfig) }

type processConfig struct {
	stdin, stdout, stderr StdioMode
	dir                   string
	env                   []string
	streamOpts            []StreamOption
}

type processOptionFunc func(*processConfig)

func (f processOptionFunc) applyProcess(c *processConfig) { f(c) }

// WithStdin says what the child's stdin is: Inherit (the default), Pipe
// (Process.Stdin is the stream that writes to it) or DevNull. It panics
// given Stdout or a mode that is not one of these.
func WithStdin(m StdioMode) ProcessOption {
	checkStdio("WithStdin", m, false)
	return processOptionFunc(func(c *processConfig) { c.stdin = m })
}

// WithStdout says what the child's stdout is: Inherit (the default), Pipe
// (Process.Stdout is the stream that reads it) or DevNull. It panics given
// Stdout or a mode that is not one of these.
func WithStdout(m StdioMode) ProcessOption {
	checkStdio("WithStdout", m, false)
	return processOptionFunc(func(c *processConfig) { c.stdout = m })
}

// WithStderr says what the child's stderr is: Inherit (the default), Pipe
// (Process.Stderr is the stream that reads it), DevNull, or Stdout (the
// same as its stdout, pipe included). It panics given a mode that is not
// one of these.
func WithStderr(m StdioMode) ProcessOption {
	checkStdio("WithStderr", m, true)
	return processOptionFunc(func(c *processConfig) { c.stderr = m })
}

func checkStdio(op string, m StdioMode, stderr bool) {
	if m < Inherit || m > Stdout || m == Stdout && !stderr {
		panic(fmt.Sprintf("asyncio: %s(%d): not a mode for this stream; pass Inherit, Pipe or DevNull (or Stdout, for stderr only)", op, m))
	}
}

// WithDir runs the child in directory dir, as exec.Cmd's Dir does; the
// default is the parent's working directory.
func WithDir(dir string) ProcessOption {
	return processOptionFunc(func(c *processConfig) { c.dir = dir })
}

// WithEnv gives the child env, a list of "key=value" strings, as its whole
// environment, as exec.Cmd's Env does; by default it inherits the parent's.
func WithEnv(env []string) ProcessOption {
	return processOptionFunc(func(c *processConfig) { c.env = env })
}

// WithPipeOptions makes the streams of the child's pipes with opts, such
// as WithStreamLimit (asyncio's limit argument) or WithWriteBufferLimits.
func WithPipeOptions(opts ...StreamOption) ProcessOption {
	return processOptionFunc(func(c *processConfig) { c.streamOpts = opts })
}

// A Process is a child process started by CreateSubprocessExec or
// CreateSubprocessShell: the counterpart of asyncio.subprocess.Process. Its
// methods, and those of its streams, must be called on the loop's
// goroutine, from tasks of the loop that started it, except Pid, Kill,
// Terminate and SendSignal, which any goroutine may call.
//
// A Process is made only by those functions; its zero value is not
// usable, and it must not be copied.
//
// Its pipes are Streams: a task closes each when it is done with it
// (Communicate does), and the loop closes those left open as it closes. A
// pipe the parent reads gives its descriptor back as soon as the stream
// has read to the end.
//
// The loop that started the process kills (SIGKILL) and reaps it if it is
// still running when the loop closes: Run never returns with a child it
// started still running or unreaped. A program whose child must outlive it
// starts it with os/exec instead.
type Process struct {
	_ noCopy

	// Stdin writes to the child's stdin, if it is a Pipe; otherwise it is
	// nil. Closing it (or WriteEOF) gives the child the end of its input.
	Stdin *Stream
	// Stdout reads the child's stdout, if it is a Pipe; otherwise it is
	// nil.
	Stdout *Stream
	// Stderr reads the child's stderr, if it is a Pipe; otherwise it is
	// nil.
	Stderr *Stream

	l      *Loop
	proc   *os.Process
	node   *waitq.Node[io.Closer]
	reaped chan struct{} // closed when the reaper has reaped the child

	// Loop-confined.
	exited *Future[struct{}] // done once the loop has the exit status
	code   int
	err    error
	comm   *communication
}

// CreateSubprocessExec starts the program name with the arguments args,
// and returns the running process: the counterpart of
// asyncio.create_subprocess_exec. name is looked up in PATH unless it
// holds a path separator, as exec.Command does. The child's stdin, stdout
// and stderr are the parent's unless options say otherwise (WithStdin,
// WithStdout, WithStderr); WithDir and WithEnv set its working directory
// and environment. Cancelling the task does not stop the process; Kill and
// Terminate do.
//
// The arguments are a slice rather than exec.Command's variadic list so
// that options can follow them. CreateSubprocessExec returns an error if
// the program cannot be started (one matching exec.ErrNotFound if it is
// not found), and panics as Await does when ctx does not belong to the
// running task.
func CreateSubprocessExec(ctx context.Context, name string, args []string, opts ...ProcessOption) (*Process, error) {
	t := runningTask(ctx, "CreateSubprocessExec")
	return startProcess(t.loop(), exec.Command(name, args...), opts)
}

// CreateSubprocessShell runs command with the system's shell, /bin/sh -c
// on Unix and cmd.exe /c on Windows, as CreateSubprocessExec runs a
// program: the counterpart of asyncio.create_subprocess_shell. The shell
// reads the whole command, so the caller must quote whatever comes from
// elsewhere.
func CreateSubprocessShell(ctx context.Context, command string, opts ...ProcessOption) (*Process, error) {
	t := runningTask(ctx, "CreateSubprocessShell")
	return startProcess(t.loop(), shellCommand(command), opts)
}

// startProcess starts cmd as opts say, on l.
func startProcess(l *Loop, cmd *exec.Cmd, opts []ProcessOption) (*Process, error) {
	var c processConfig
	for _, o := range opts {
		o.applyProcess(&c)
	}
	cmd.Dir, cmd.Env = c.dir, c.env
	var ends stdioEnds
	defer ends.closeChild() // the child has its copies, or never will
	if err := ends.connect(cmd, c); err != nil {
		ends.closeParent()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		ends.closeParent()
		return nil, fmt.Errorf("asyncio: %w", err)
	}
	p := &Process{l: l, proc: cmd.Process, reaped: make(chan struct{})}
	p.exited = &Future[struct{}]{fb: futureBase{l: l}}
	scfg := newStreamConfig(c.streamOpts)
	pid := p.proc.Pid
	if ends.stdin != nil {
		p.Stdin = newStream(l, newPipeConn(ends.stdin, true, "stdin", pid), scfg)
	}
	if ends.stdout != nil {
		p.Stdout = newStream(l, newPipeConn(ends.stdout, false, "stdout", pid), scfg)
	}
	if ends.stderr != nil {
		p.Stderr = newStream(l, newPipeConn(ends.stderr, false, "stderr", pid), scfg)
	}
	p.node = l.track(processKiller{p})
	l.addExternal()
	go p.reap(cmd)
	return p, nil
}

// stdioEnds holds the pipes of a child being started: the parent's ends,
// which become its streams, and the child's, which the parent closes once
// the child has them.
type stdioEnds struct {
	stdin, stdout, stderr *os.File // the parent's ends
	child                 []*os.File
}

// connect sets cmd's stdin, stdout and stderr as c says, making the pipes
// it asks for.
func (e *stdioEnds) connect(cmd *exec.Cmd, c processConfig) error {
	switch c.stdin {
	case Inherit:
		cmd.Stdin = os.Stdin
	case Pipe:
		r, w, err := e.pipe()
		if err != nil {
			return err
		}
		cmd.Stdin, e.stdin = r, w
		e.child = append(e.child, r)
	} // DevNull: exec.Cmd opens os.DevNull for a nil Stdin
	out, err := e.output(c.stdout, os.Stdout, &e.stdout)
	if err != nil {
		return err
	}
	if out != nil {
		cmd.Stdout = out
	}
	if c.stderr == Stdout {
		cmd.Stderr = cmd.Stdout
		return nil
	}
	errOut, err := e.output(c.stderr, os.Stderr, &e.stderr)
	if errOut != nil {
		cmd.Stderr = errOut
	}
	return err
}

// output returns the file the child writes to in mode m, or nil for
// DevNull; for a Pipe it sets *parent to the end the parent reads.
func (e *stdioEnds) output(m StdioMode, inherit *os.File, parent **os.File) (*os.File, error) {
	switch m {
	case Inherit:
		return inherit, nil
	case Pipe:
		r, w, err := e.pipe()
		if err != nil {
			return nil, err
		}
		*parent = r
		e.child = append(e.child, w)
		return w, nil
	}
	return nil, nil
}

// pipe makes a pipe.
func (e *stdioEnds) pipe() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("asyncio: a pipe to a child process: %w", err)
	}
	return r, w, nil
}

// closeChild closes the ends of the pipes that belong to the child.
func (e *stdioEnds) closeChild() {
	for _, f := range e.child {
		f.Close()
	}
}

// closeParent closes the parent's ends, when the child did not start.
func (e *stdioEnds) closeParent() {
	for _, f := range []*os.File{e.stdin, e.stdout, e.stderr} {
		if f != nil {
			f.Close()
		}
	}
}

// reap is the reaper goroutine: it waits for the child to exit, which
// reaps it, and hands the status to the loop.
func (p *Process) reap(cmd *exec.Cmd) {
	defer close(p.reaped)
	err := cmd.Wait()
	state := cmd.ProcessState
	// An error means the loop is closed; its Close killed the child and
	// waits for reaped.
	_ = p.l.CallSoonThreadsafe(func() { p.exit(state, err) })
}

// exit records, on the loop, that the child has exited with state, or
// that waiting for it failed with err.
func (p *Process) exit(state *os.ProcessState, err error) {
	p.l.doneExternal()
	p.l.untrack(p.node)
	p.code, p.err = exitStatus(p.proc.Pid, state, err)
	p.exited.SetResult(struct{}{})
}

// exitStatus returns the code and error that Wait reports for a child
// that exited with state, or whose wait failed with err.
func exitStatus(pid int, state *os.ProcessState, err error) (int, error) {
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		return -1, fmt.Errorf("asyncio: waiting for process %d: %w", pid, err)
	}
	if sig, ok := killedBy(state); ok {
		return -1, fmt.Errorf("asyncio: process %d was killed by %s: %w", pid, sig, err)
	}
	return state.ExitCode(), nil
}

// processKiller is how the loop kills and reaps a child still running as
// it closes.
type processKiller struct{ p *Process }

func (k processKiller) Close() error {
	k.p.proc.Kill() // an error means it has exited already
	<-k.p.reaped
	return nil
}

// Pid returns the child's process ID.
func (p *Process) Pid() int { return p.proc.Pid }

// Wait suspends the task until the child exits and returns its exit code:
// the counterpart of Process.wait. Once the child has exited, Wait returns
// at once, as often as it is called. If a signal ended the child, Wait
// returns -1 and an error that names the signal and wraps the
// *exec.ExitError, whose ProcessState says more; a child that exits with
// a code other than 0 is no error.
//
// If the task is interrupted, or a ctx derived from the task's is done,
// Wait returns -1 and that error; the child goes on running, and is still
// reaped when it exits, so a later Wait gets its code.
//
// Wait does not read the child's pipes: a child that writes more than a
// pipe holds (64 KiB on Linux) waits for a reader, so a task that waits
// for such a child reads its output first, or uses Communicate.
func (p *Process) Wait(ctx context.Context) (int, error) {
	runningTask(ctx, "Process.Wait")
	if !p.exited.Done() {
		if _, err := Await(ctx, Shield(ctx, p.exited)); err != nil {
			return -1, err
		}
	}
	return p.code, p.err
}

// ReturnCode returns the child's exit code and true once Wait would return
// at once, or 0 and false while it runs: Process.returncode. A child ended
// by a signal has the code -1.
func (p *Process) ReturnCode() (int, bool) {
	if !p.exited.Done() {
		return 0, false
	}
	return p.code, true
}

// Kill kills the child: SIGKILL on Unix. It returns an error matching
// os.ErrProcessDone once the child has exited.
func (p *Process) Kill() error { return p.proc.Kill() }

// Terminate asks the child to end: SIGTERM on Unix; on Windows, which has
// no such request, it kills the child. It returns an error matching
// os.ErrProcessDone once the child has exited.
func (p *Process) Terminate() error { return terminate(p.proc) }

// SendSignal sends sig to the child. It returns an error matching
// os.ErrProcessDone once the child has exited.
func (p *Process) SendSignal(sig os.Signal) error { return p.proc.Signal(sig) }

// communication is the state of Communicate, kept between its calls.
type communication struct {
	stdout, stderr []byte
	err            error // why reading a pipe failed
	readers        []*Task[struct{}]
}

// Communicate writes input to the child's stdin and closes it, reads its
// stdout and stderr to the end, waits for it to exit, and returns what it
// wrote: the counterpart of Process.communicate. stdout and stderr are
// nil for a stream that is not a Pipe; input must be empty unless stdin is
// a Pipe. The pipes are read at once, by tasks of their own, so a child
// that fills one while the other is read does not block. err is the error
// reading failed with, if it did, or else Wait's, which names the signal
// that ended the child; the exit code is Wait's or ReturnCode's.
//
// If the task is interrupted, or a ctx derived from the task's is done,
// Communicate returns nil, nil and that error, and loses nothing: the
// child goes on running, its output goes on being read into memory, and a
// later Communicate (whose input is ignored: the first call has written
// its input already) returns all of it. Once the output has been
// returned, later calls return it again. From the first call on,
// Communicate owns the pipes: they are closed once read to the end, and
// reading them by other means fails.
func (p *Process) Communicate(ctx context.Context, input []byte) (stdout, stderr []byte, err error) {
	runningTask(ctx, "Process.Communicate")
	if p.comm == nil {
		if err := p.feed(input); err != nil {
			return nil, nil, err
		}
		p.comm = p.startReaders(ctx)
	}
	c := p.comm
	for _, r := range c.readers {
		if _, err := Await(ctx, Shield(ctx, r)); err != nil {
			return nil, nil, err
		}
	}
	if c.err != nil {
		return c.stdout, c.stderr, c.err
	}
	if _, err := p.Wait(ctx); err != nil && !p.exited.Done() {
		return nil, nil, err // interrupted
	}
	return c.stdout, c.stderr, p.err
}

// feed hands input to the child's stdin and closes it. The stream writes
// what it buffered before it closes, and an error writing (the child
// stopped reading) is dropped, as asyncio drops it.
func (p *Process) feed(input []byte) error {
	if p.Stdin == nil {
		if len(input) > 0 {
			return errors.New("asyncio: Process.Communicate with input, but stdin is not a pipe; start the process WithStdin(Pipe)")
		}
		return nil
	}
	if len(input) > 0 {
		if _, err := p.Stdin.Write(input); err != nil {
			return fmt.Errorf("asyncio: Process.Communicate: writing stdin: %w", err)
		}
	}
	return p.Stdin.Close()
}

// startReaders starts a task for each pipe of the child's output, which
// reads it to the end into c, and then closes it.
func (p *Process) startReaders(ctx context.Context) *communication {
	c := new(communication)
	for _, out := range []struct {
		s    *Stream
		buf  *[]byte
		name string
	}{{p.Stdout, &c.stdout, "stdout"}, {p.Stderr, &c.stderr, "stderr"}} {
		if out.s == nil {
			continue
		}
		r := CreateTask(ctx, func(ctx context.Context) (struct{}, error) {
			defer out.s.Close()
			if err := readAll(ctx, out.s, out.buf); err != nil && c.err == nil {
				c.err = err
			}
			return struct{}{}, nil // the error is Communicate's to return
		}, WithName(fmt.Sprintf("%s of process %d", out.name, p.Pid())))
		c.readers = append(c.readers, r)
	}
	return c
}

// readAll appends what s delivers to *buf until the end of the stream.
// Whatever it has read is in *buf, whenever it returns.
func readAll(ctx context.Context, s *Stream, buf *[]byte) error {
	for {
		b := slices.Grow(*buf, 4096)
		n, err := s.Read(ctx, b[len(b):cap(b)])
		*buf = b[:len(b)+n]
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return err
		}
	}
}

// A pipeConn is the parent's end of a pipe to a child, as the net.Conn
// that a Stream wraps. The end that writes reads as an empty stream; the
// end that reads cannot be written to.
type pipeConn struct {
	f     *os.File
	write bool // the parent writes to this end
	addr  pipeAddr
}

func newPipeConn(f *os.File, write bool, name string, pid int) *pipeConn {
	return &pipeConn{f: f, write: write, addr: pipeAddr(fmt.Sprintf("%s of process %d", name, pid))}
}

func (c *pipeConn) Read(b []byte) (int, error) {
	if c.write {
		return 0, io.EOF
	}
	n, err := c.f.Read(b)
	if err == io.EOF {
		// Nothing more can come: the descriptor goes back at once, not
		// when the stream is closed. Closing it twice is harmless.
		c.f.Close()
	}
	return n, err
}

func (c *pipeConn) Write(b []byte) (int, error) {
	if !c.write {
		return 0, fmt.Errorf("asyncio: cannot write to the %s, which the parent reads", c.addr)
	}
	return c.f.Write(b)
}

// CloseWrite closes the end that writes, which is what Stream.WriteEOF
// does to a pipe.
func (c *pipeConn) CloseWrite() error {
	if !c.write {
		return fmt.Errorf("asyncio: the %s has no writing side", c.addr)
	}
	return c.f.Close()
}

func (c *pipeConn) Close() error                       { return c.f.Close() }
func (c *pipeConn) LocalAddr() net.Addr                { return c.addr }
func (c *pipeConn) RemoteAddr() net.Addr               { return c.addr }
func (c *pipeConn) SetDeadline(t time.Time) error      { return c.f.SetDeadline(t) }
func (c *pipeConn) SetReadDeadline(t time.Time) error  { return c.f.SetReadDeadline(t) }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// A pipeAddr names a pipe to a child, such as "stdout of process 1234".
type pipeAddr string

func (a pipeAddr) Network() string { return "pipe" }
func (a pipeAddr) String() string  { return string(a) }

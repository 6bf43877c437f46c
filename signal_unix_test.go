//go:build unix

package asyncio_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// These tests send real signals to the test process: SIGUSR1 and SIGUSR2,
// which a Go program ignores unless it asks for them, and SIGINT only where
// Run is to catch it. What must end a process runs in a child process. The
// tests run on the real clock: signal handlers do not hold a virtual one.

// raise sends sig to the test process.
func raise(sig syscall.Signal) error { return syscall.Kill(os.Getpid(), sig) }

// notify returns a channel that sig is also relayed to, which shows that
// the signal was delivered whatever the loop did with it, and stops it at
// the end of the test.
func notify(t *testing.T, sig os.Signal) <-chan os.Signal {
	c := make(chan os.Signal, 1)
	signal.Notify(c, sig)
	t.Cleanup(func() { signal.Stop(c) })
	return c
}

func TestSignalHandlerRunsOnLoop(t *testing.T) {
	got := runReal(t, func(ctx context.Context) (string, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		f := asyncio.CreateFuture[string](ctx)
		err := l.AddSignalHandler(syscall.SIGUSR1, func() {
			// Futures are loop-confined: the race detector would see a
			// call from another goroutine.
			f.SetResult(fmt.Sprintf("handled, loop running: %t", l.IsRunning()))
		})
		if err != nil {
			return "", err
		}
		if err := raise(syscall.SIGUSR1); err != nil {
			return "", err
		}
		return asyncio.Await(ctx, f)
	})
	if want := "handled, loop running: true"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSignalHandlerReplaced(t *testing.T) {
	got := runReal(t, func(ctx context.Context) (string, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		f := asyncio.CreateFuture[string](ctx)
		if err := l.AddSignalHandler(syscall.SIGUSR1, func() { f.SetResult("first") }); err != nil {
			return "", err
		}
		if err := l.AddSignalHandler(syscall.SIGUSR1, func() { f.SetResult("second") }); err != nil {
			return "", err
		}
		if err := raise(syscall.SIGUSR1); err != nil {
			return "", err
		}
		v, err := asyncio.Await(ctx, f)
		if !l.RemoveSignalHandler(syscall.SIGUSR1) {
			t.Error("RemoveSignalHandler found no handler after a replacement")
		}
		return v, err
	})
	if got != "second" {
		t.Errorf("the signal ran the %s handler, want the second", got)
	}
}

// TestSignalHandlerRemovesItself checks that a handler may remove itself,
// and that the forwarding goroutine then ends, before Close.
func TestSignalHandlerRemovesItself(t *testing.T) {
	noneLeft := noLeaks(t)
	l := asyncio.NewLoop()
	defer l.Close()
	removed, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (bool, error) {
		f := asyncio.CreateFuture[bool](ctx)
		err := l.AddSignalHandler(syscall.SIGUSR1, func() {
			f.SetResult(l.RemoveSignalHandler(syscall.SIGUSR1))
		})
		if err != nil {
			return false, err
		}
		if err := raise(syscall.SIGUSR1); err != nil {
			return false, err
		}
		return asyncio.Await(ctx, f)
	})
	if err != nil || !removed {
		t.Fatalf("the handler removed itself: %t, %v", removed, err)
	}
	noneLeft()
}

// TestSignalHandlerRemoved checks that a removed handler gets no more
// signals. SIGUSR2's handler, which stays, shows what reached the loop:
// the forwarder relays signals in the order they come, so a SIGUSR1 that
// reached the loop would be handled before the SIGUSR2 sent after it.
func TestSignalHandlerRemoved(t *testing.T) {
	elsewhere := notify(t, syscall.SIGUSR1)
	got := runReal(t, func(ctx context.Context) ([]string, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		var got []string
		usr2 := asyncio.CreateFuture[struct{}](ctx)
		if err := l.AddSignalHandler(syscall.SIGUSR1, func() { got = append(got, "USR1") }); err != nil {
			return nil, err
		}
		if err := l.AddSignalHandler(syscall.SIGUSR2, func() { usr2.SetResult(struct{}{}) }); err != nil {
			return nil, err
		}
		if !l.RemoveSignalHandler(syscall.SIGUSR1) {
			t.Error("RemoveSignalHandler found no handler")
		}
		if l.RemoveSignalHandler(syscall.SIGUSR1) {
			t.Error("a second RemoveSignalHandler found a handler")
		}
		if err := raise(syscall.SIGUSR1); err != nil {
			return nil, err
		}
		<-elsewhere // delivered, and to whatever else wanted it
		if err := raise(syscall.SIGUSR2); err != nil {
			return nil, err
		}
		_, err := asyncio.Await(ctx, usr2)
		got = append(got, "USR2")
		return got, err
	})
	if strings.Join(got, " ") != "USR2" {
		t.Errorf("handled %v, want only USR2", got)
	}
}

// TestSignalHandlerPanic checks that a panic in a handler goes to the
// exception handler, as a callback's does, naming the handler.
func TestSignalHandlerPanic(t *testing.T) {
	defer noLeaks(t)()
	var report *asyncio.Exception
	l := asyncio.NewLoop()
	defer l.Close()
	_, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		reported := asyncio.CreateFuture[struct{}](ctx)
		l.SetExceptionHandler(func(e *asyncio.Exception) {
			report = e
			reported.SetResult(struct{}{})
		})
		if err := l.AddSignalHandler(syscall.SIGUSR1, panickyHandler); err != nil {
			return 0, err
		}
		if err := raise(syscall.SIGUSR1); err != nil {
			return 0, err
		}
		_, err := asyncio.Await(ctx, reported)
		return 0, err
	})
	if err != nil {
		t.Fatal(err)
	}
	var pe *asyncio.PanicError
	if !errors.As(report.Err, &pe) || pe.Value != "boom" {
		t.Errorf("reported %v, want a *PanicError of boom", report.Err)
	}
	if !strings.Contains(report.Message, "panickyHandler") {
		t.Errorf("report %q does not name the handler", report.Message)
	}
}

func panickyHandler() { panic("boom") }

// TestSignalHandlerAcrossRuns checks that a handler installed before the
// loop first runs stays installed from one run to the next, and that Close
// removes it: the forwarding goroutine ends, and the signal reaches only
// the rest of the process.
func TestSignalHandlerAcrossRuns(t *testing.T) {
	defer noLeaks(t)()
	elsewhere := notify(t, syscall.SIGUSR1)
	l := asyncio.NewLoop()
	defer l.Close()
	var handled int
	var wake *asyncio.Future[int]
	if err := l.AddSignalHandler(syscall.SIGUSR1, func() {
		handled++
		if wake != nil {
			wake.SetResult(handled)
			wake = nil
		}
	}); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ {
		n, err := asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
			wake = asyncio.CreateFuture[int](ctx)
			if err := raise(syscall.SIGUSR1); err != nil {
				return 0, err
			}
			return asyncio.Await(ctx, wake)
		})
		if err != nil || n != run {
			t.Fatalf("run %d: handled %d signals, %v; want %d", run, n, err, run)
		}
		<-elsewhere
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if l.RemoveSignalHandler(syscall.SIGUSR1) {
		t.Error("the handler outlived Close")
	}
	if err := raise(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	<-elsewhere
	if handled != 2 {
		t.Errorf("handled %d signals, want 2", handled)
	}
}

// TestSignalWhileClosing checks that signals that arrive as the loop
// closes, caught anywhere between os/signal and the loop's inbox, neither
// run a handler on the closed loop nor keep the forwarder alive.
func TestSignalWhileClosing(t *testing.T) {
	defer noLeaks(t)()
	elsewhere := notify(t, syscall.SIGUSR1)
	for range 10 {
		l := asyncio.NewLoop()
		ran := false
		if err := l.AddSignalHandler(syscall.SIGUSR1, func() { ran = true }); err != nil {
			t.Fatal(err)
		}
		if err := raise(syscall.SIGUSR1); err != nil {
			t.Fatal(err)
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		<-elsewhere
		if ran {
			t.Fatal("a handler ran on a loop that never ran")
		}
	}
}

// skipIfSIGINTIgnored skips a test of Run's SIGINT handling in a process
// that ignores SIGINT, as one started in the background by a shell does:
// Run then leaves SIGINT alone.
func skipIfSIGINTIgnored(t *testing.T) {
	t.Helper()
	if signal.Ignored(os.Interrupt) {
		t.Skip("SIGINT is ignored in this process, so Run does not handle it")
	}
}

// TestRunCancelsMainOnSIGINT checks that Run cancels its main task on the
// first SIGINT with the ErrInterrupted cause. If Run failed to catch it,
// SIGINT would end the test binary.
func TestRunCancelsMainOnSIGINT(t *testing.T) {
	skipIfSIGINTIgnored(t)
	defer noLeaks(t)()
	var ctxErr error
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		if err := raise(syscall.SIGINT); err != nil {
			return 0, err
		}
		err := asyncio.Sleep(ctx, time.Hour)
		ctxErr = ctx.Err()
		return 0, err
	})
	if !errors.Is(err, asyncio.ErrCancelled) || !errors.Is(err, asyncio.ErrInterrupted) {
		t.Errorf("Run = %v, want an error matching ErrCancelled and ErrInterrupted", err)
	}
	if ctxErr != context.Canceled {
		t.Errorf("the main task's ctx.Err() = %v, want context.Canceled", ctxErr)
	}
}

// TestRunLeavesSIGINTToHandler checks that a SIGINT handler of the user's
// takes precedence over Run's.
func TestRunLeavesSIGINTToHandler(t *testing.T) {
	skipIfSIGINTIgnored(t)
	got := runReal(t, func(ctx context.Context) (string, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		f := asyncio.CreateFuture[string](ctx)
		if err := l.AddSignalHandler(os.Interrupt, func() { f.SetResult("the user's handler") }); err != nil {
			return "", err
		}
		if err := raise(syscall.SIGINT); err != nil {
			return "", err
		}
		v, err := asyncio.Await(ctx, f)
		if err == nil {
			err = ctx.Err() // Run's handling would have cancelled it
		}
		return v, err
	})
	if got != "the user's handler" {
		t.Errorf("SIGINT ran %q", got)
	}
}

// TestRunWithContextLeavesSIGINT checks that Run leaves SIGINT alone when
// given WithContext: the caller stops main through that ctx (from
// signal.NotifyContext, as cmd/aiofetch does), and Run's own handling
// raced with it, so that main sometimes ended with ErrInterrupted before
// the caller's ctx was done.
func TestRunWithContextLeavesSIGINT(t *testing.T) {
	skipIfSIGINTIgnored(t)
	caller := notify(t, os.Interrupt) // keeps SIGINT from ending the test binary
	got := runReal(t, func(ctx context.Context) (string, error) {
		if err := raise(syscall.SIGINT); err != nil {
			return "", err
		}
		// Once the caller has the signal, Run would have had it too.
		if _, err := asyncio.ToThread(ctx, func() (os.Signal, error) { return <-caller, nil }); err != nil {
			return "", err
		}
		if err := asyncio.Sleep(ctx, 20*time.Millisecond); err != nil {
			return "", err // cancelled: Run handled the SIGINT
		}
		return "left to the caller", nil
	}, asyncio.WithContext(context.Background()))
	if got != "left to the caller" {
		t.Errorf("main returned %q", got)
	}
}

// The signal tests that end a process run in a child: this test binary,
// started with signalChildEnv naming what to do.
const signalChildEnv = "ASYNCIO_SIGNAL_CHILD"

// childHang bounds how long a child waits for the signal that is to end
// it: far longer than the signal takes to arrive, so that a child that
// outlives it was not ended by the signal, and says so instead of hanging.
const childHang = time.Minute

// TestSignalChild is not a test: it plays the child process of the tests
// that start one, and is skipped otherwise.
func TestSignalChild(t *testing.T) {
	switch os.Getenv(signalChildEnv) {
	case "":
		t.Skip("plays the child process of the signal tests")
	case "sigint":
		sigintChild()
	case "removed":
		removedChild()
	}
	fmt.Println("survived")
	os.Exit(0)
}

// sigintChild runs Run with a main task that goes on after its first
// cancellation, saying on stdout when it is ready for each SIGINT.
func sigintChild() {
	asyncio.Run(func(ctx context.Context) (int, error) {
		fmt.Println("ready")
		err := asyncio.Sleep(ctx, time.Hour)
		fmt.Printf("cancelled: %t %t\n", errors.Is(err, asyncio.ErrCancelled), errors.Is(err, asyncio.ErrInterrupted))
		return 0, asyncio.Sleep(ctx, childHang)
	})
}

// removedChild installs and removes a SIGTERM handler, then raises
// SIGTERM, whose default action ends the process.
func removedChild() {
	asyncio.Run(func(ctx context.Context) (int, error) {
		l, _ := asyncio.GetRunningLoop(ctx)
		if err := l.AddSignalHandler(syscall.SIGTERM, func() {}); err != nil {
			return 0, err
		}
		l.RemoveSignalHandler(syscall.SIGTERM)
		if err := raise(syscall.SIGTERM); err != nil {
			return 0, err
		}
		return 0, asyncio.Sleep(ctx, childHang)
	})
}

// startChild starts this binary as the child that plays role, and returns
// its stdout line by line.
func startChild(t *testing.T, role string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSignalChild$")
	cmd.Env = append(os.Environ(), signalChildEnv+"="+role)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out)
}

// endedBy checks that the child ended by sig, as the signal's default
// action ends a Go program.
func endedBy(t *testing.T, cmd *exec.Cmd, sig syscall.Signal) {
	t.Helper()
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("child ended with %v, want death by %v", err, sig)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != sig {
		t.Errorf("child ended with %v, want death by %v", err, sig)
	}
}

// TestRunSecondSIGINTEndsProcess checks that after the first SIGINT has
// cancelled Run's main task, a second one ends the program at once, though
// main goes on waiting.
func TestRunSecondSIGINTEndsProcess(t *testing.T) {
	skipIfSIGINTIgnored(t)
	cmd, lines := startChild(t, "sigint")
	for _, want := range []string{"ready", "cancelled: true true"} {
		if !lines.Scan() {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child ended before saying %q: %v", want, lines.Err())
		}
		if got := lines.Text(); got != want {
			t.Errorf("child said %q, want %q", got, want)
		}
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			t.Fatal(err)
		}
	}
	for lines.Scan() {
		t.Errorf("child said %q after the second SIGINT", lines.Text())
	}
	endedBy(t, cmd, syscall.SIGINT)
}

// TestRemoveSignalHandlerRestoresDefault checks that once its handler is
// removed, SIGTERM ends the process again, as its default action does.
func TestRemoveSignalHandlerRestoresDefault(t *testing.T) {
	cmd, lines := startChild(t, "removed")
	for lines.Scan() {
		t.Errorf("child said %q", lines.Text())
	}
	endedBy(t, cmd, syscall.SIGTERM)
}

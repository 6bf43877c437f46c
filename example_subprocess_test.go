//go:build unix

package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/goasyncio/asyncio"
)

// This example runs a program and reads what it prints line by line, as
// each line comes, then waits for it to exit.
func ExampleCreateSubprocessExec() {
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessExec(ctx, "printf", []string{`one\ntwo\n`}, asyncio.WithStdout(asyncio.Pipe))
		if err != nil {
			return 0, err
		}
		defer p.Stdout.Close()
		for {
			line, err := p.Stdout.ReadLine(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return 0, err
			}
			fmt.Printf("read %q\n", line)
		}
		code, err := p.Wait(ctx)
		fmt.Println("exit code", code)
		return code, err
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// read "one\n"
	// read "two\n"
	// exit code 0
}

// This example feeds a program its input and collects its output and
// errors, as asyncio's communicate does.
func ExampleProcess_Communicate() {
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		p, err := asyncio.CreateSubprocessShell(ctx, "tr a-z A-Z; echo done >&2",
			asyncio.WithStdin(asyncio.Pipe), asyncio.WithStdout(asyncio.Pipe), asyncio.WithStderr(asyncio.Pipe))
		if err != nil {
			return 0, err
		}
		stdout, stderr, err := p.Communicate(ctx, []byte("hello, child\n"))
		if err != nil {
			return 0, err
		}
		code, _ := p.ReturnCode()
		fmt.Printf("stdout %q, stderr %q, exit code %d\n", stdout, stderr, code)
		return code, nil
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// stdout "HELLO, CHILD\n", stderr "done\n", exit code 0
}

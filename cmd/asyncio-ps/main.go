// Command asyncio-ps prints the tasks of the asyncio loops of a running Go
// program: each task, under the task that created it, with what it awaits
// and, for loops with WithDebug, where. It is the counterpart of Python's
// `python -m asyncio ps`.
//
// The program must serve its tasks with package debughttp
// (debughttp.Listen("127.0.0.1:0")); asyncio-ps finds the server from the
// program's process ID, in the address file that Listen writes, or takes
// its address. It refuses an address file that another user could have
// written (see debughttp.ReadAddrFile), and says why.
//
//	asyncio-ps 12345
//	asyncio-ps 127.0.0.1:6060
//	asyncio-ps -json 12345
//	asyncio-ps -limit all 12345
//
// A loop with more tasks than the limit (by default the server's, 10,000)
// shows the oldest and says how many more there are.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goasyncio/asyncio/debughttp"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command, with its exit code: 0 done, 1 the program could not
// be reached, 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("asyncio-ps", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the snapshot as JSON")
	limit := fs.String("limit", "", "show at most `N` tasks of each loop, the oldest, or all (default: the server's, 10000)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: asyncio-ps [-json] [-limit N|all] PID|HOST:PORT")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return 2
	}
	if n, err := strconv.Atoi(*limit); *limit != "" && *limit != "all" && (err != nil || n < 0) {
		fmt.Fprintf(stderr, "asyncio-ps: -limit %q: want a number of tasks, or all\n", *limit)
		return 2
	}
	addr, err := resolve(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "asyncio-ps:", err)
		return 1
	}
	query := url.Values{}
	if *asJSON {
		query.Set("format", "json")
	}
	if *limit != "" {
		query.Set("limit", *limit)
	}
	if err := fetch(addr, query, stdout); err != nil {
		fmt.Fprintln(stderr, "asyncio-ps:", err)
		return 1
	}
	return 0
}

// resolve turns a process ID into the address its debughttp server
// recorded, and leaves an address as it is. It refuses an address file that
// someone else could have written, since it says where the request goes.
func resolve(target string) (string, error) {
	pid, err := strconv.Atoi(target)
	if err != nil {
		return target, nil
	}
	addr, err := debughttp.ReadAddrFile(pid)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("process %d serves no task dump: call debughttp.Listen in it (no %s; it must see the same XDG_RUNTIME_DIR and TMPDIR as asyncio-ps)", pid, debughttp.AddrFile(pid))
	}
	if err != nil {
		return "", fmt.Errorf("not trusting the address file of process %d: %w", pid, err)
	}
	return addr, nil
}

// fetch prints what the server at addr answers to a request with query.
func fetch(addr string, query url.Values, w io.Writer) error {
	u := url.URL{Scheme: "http", Host: addr, Path: "/", RawQuery: query.Encode()}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(u.String())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// The body says why, as debughttp words it.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("%s answered %s: %s", addr, resp.Status, strings.TrimSpace(string(b)))
	}
	_, err = io.Copy(w, resp.Body)
	return err
}

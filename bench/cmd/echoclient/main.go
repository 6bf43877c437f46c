// Command echoclient is the load of the echo benchmarks (E10, E100), the
// same for every server: it opens -conns connections to an echo server and,
// on each, sends a message of -size bytes and waits for all of it to come
// back before it sends the next (a closed loop), as uvloop's echo benchmark
// does. It runs -warmup periods of -duration untimed, then one timed, and
// prints the timed period's record (see bench/internal/record): the echoes
// completed, the wall time, and the wall time per echo, whose inverse is
// the server's requests per second.
//
// With -warmup above 0, a connection comes and goes before the load
// starts: it sends one message, reads the echo, half-closes and waits for
// the server to close. A server that has served a connection to its end is
// in the state a long-running one is in; a fresh CPython server is not:
// until a read returns end-of-file, each of its reads allocates, resizes
// and frees a 256 KiB buffer with mmap, mremap and munmap, which costs it
// three quarters of its speed. glibc raises its threshold for mmap when
// the first such buffer is freed whole, at the first end of file.
//
// Usage:
//
//	echoclient -addr HOST:PORT -runtime RT -workload ID [-conns 10] [-size 1024]
//	           [-duration 2s] [-warmup 1] [-impl TEXT] [-server-pid PID]
//
// -runtime, -workload and -impl only label the record. With -server-pid,
// the record's peak RSS is the server's. Every echo is checked byte for
// byte, and each message carries its sequence number, so a lost,
// duplicated or reordered byte fails the run. The exit status is 0 when the
// run checked out, 1 when it did not, 2 for a usage error.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goasyncio/asyncio/bench/internal/record"
)

// A load is what the client is asked to do.
type load struct {
	addr     string
	conns    int
	size     int
	duration time.Duration
	warmup   int
}

func main() {
	var ld load
	flag.StringVar(&ld.addr, "addr", "", "the echo server's address (required)")
	flag.IntVar(&ld.conns, "conns", 10, "connections, each with one message in flight")
	flag.IntVar(&ld.size, "size", 1024, "bytes per message, at least 8")
	flag.DurationVar(&ld.duration, "duration", 2*time.Second, "the timed period, and each warm-up period")
	flag.IntVar(&ld.warmup, "warmup", 1, "untimed periods before the timed one")
	rt := flag.String("runtime", "", "the server's runtime, for the record (required)")
	id := flag.String("workload", "", "the workload's ID, for the record (required)")
	impl := flag.String("impl", "", "how the server echoes, for the record")
	pid := flag.Int("server-pid", 0, "the server's process ID, whose peak RSS the record gives")
	flag.Parse()
	if ld.addr == "" || *rt == "" || *id == "" || ld.conns < 1 || ld.size < 8 ||
		ld.duration <= 0 || ld.warmup < 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: echoclient -addr HOST:PORT -runtime RT -workload ID [-conns 10] [-size 1024] [-duration 2s] [-warmup 1] [-impl TEXT] [-server-pid PID]")
		flag.PrintDefaults()
		os.Exit(2)
	}

	rec := &record.Record{Runtime: *rt, Workload: *id, Impl: *impl}
	echoes, wall, err := ld.run()
	if *pid > 0 {
		rec.RSSPeak = peakRSS(*pid)
	}
	if err != nil {
		rec.Check = err.Error()
	} else {
		rec.OK = true
		rec.Ops = echoes
		rec.WallNS = wall.Nanoseconds()
		rec.NSPerOp = float64(rec.WallNS) / float64(echoes)
		rec.Check = fmt.Sprintf("%d echoes of %d B on %d connections, each checked", echoes, ld.size, ld.conns)
	}
	if err := rec.Write(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "echoclient:", err)
		os.Exit(1)
	}
	if !rec.OK {
		fmt.Fprintf(os.Stderr, "echoclient: %s %s: %s\n", *rt, *id, rec.Check)
		os.Exit(1)
	}
}

// run connects, runs the warm-up periods and the timed one, and returns the
// echoes completed in the timed period and its wall time. Every connection
// runs until the end of the timed period; a failure on any fails the run.
func (ld load) run() (echoes int64, wall time.Duration, err error) {
	if ld.warmup > 0 {
		if err := ld.comeAndGo(); err != nil {
			return 0, 0, fmt.Errorf("the warm-up connection: %w", err)
		}
	}
	conns, err := ld.dial()
	if err != nil {
		return 0, 0, err
	}
	// A server that stops answering fails the run instead of hanging it.
	deadline := time.Now().Add(time.Duration(ld.warmup+1)*ld.duration + 30*time.Second)
	var (
		done atomic.Int64 // echoes completed and checked
		stop atomic.Bool
		wg   sync.WaitGroup
		errs = make([]error, len(conns))
	)
	for i, c := range conns {
		c.SetDeadline(deadline)
		wg.Go(func() { errs[i] = ld.pingPong(c, i, &done, &stop) })
	}
	time.Sleep(time.Duration(ld.warmup) * ld.duration)
	start, before := time.Now(), done.Load()
	time.Sleep(ld.duration)
	wall, echoes = time.Since(start), done.Load()-before
	stop.Store(true)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, 0, err
	}
	if echoes == 0 {
		return 0, 0, errors.New("no echo in the timed period")
	}
	return echoes, wall, nil
}

// comeAndGo opens a connection, echoes one message on it, half-closes it,
// and waits for the server to close its side.
func (ld load) comeAndGo() error {
	c, err := net.DialTimeout("tcp", ld.addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if err := ld.newPinger(c, ld.conns).echo(); err != nil {
		return err
	}
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return err
	}
	if n, err := io.Copy(io.Discard, c); err != nil || n != 0 {
		return fmt.Errorf("%d bytes after the echo, error %v", n, err)
	}
	return nil
}

// dial opens the connections, or none.
func (ld load) dial() ([]net.Conn, error) {
	conns := make([]net.Conn, 0, ld.conns)
	for range ld.conns {
		c, err := net.DialTimeout("tcp", ld.addr, 10*time.Second)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// pingPong runs connection i's closed loop until stop is set, counting each
// echo that checked out in done, and closes the connection.
func (ld load) pingPong(c net.Conn, i int, done *atomic.Int64, stop *atomic.Bool) error {
	defer c.Close()
	p := ld.newPinger(c, i)
	for !stop.Load() {
		if err := p.echo(); err != nil {
			return err
		}
		done.Add(1)
	}
	return nil
}

// A pinger sends numbered messages on connection i and checks their echoes.
type pinger struct {
	c        net.Conn
	i        int
	seq      uint64
	msg, got []byte
}

// newPinger returns the pinger of connection i: its messages differ from
// those of the other connections.
func (ld load) newPinger(c net.Conn, i int) *pinger {
	p := &pinger{c: c, i: i, msg: make([]byte, ld.size), got: make([]byte, ld.size)}
	for k := range p.msg {
		p.msg[k] = byte(i + k)
	}
	return p
}

// echo sends the next message and checks that all of it comes back.
func (p *pinger) echo() error {
	binary.LittleEndian.PutUint64(p.msg, p.seq)
	if _, err := p.c.Write(p.msg); err != nil {
		return fmt.Errorf("connection %d, message %d: %w", p.i, p.seq, err)
	}
	if _, err := io.ReadFull(p.c, p.got); err != nil {
		return fmt.Errorf("connection %d, message %d: %w", p.i, p.seq, err)
	}
	if !bytes.Equal(p.got, p.msg) {
		return fmt.Errorf("connection %d, message %d: the echo differs from the message", p.i, p.seq)
	}
	p.seq++
	return nil
}

// peakRSS returns the peak resident set size of process pid, in bytes, or 0
// if it cannot be read.
func peakRSS(pid int) int64 {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := bytes.CutPrefix(sc.Bytes(), []byte("VmHWM:"))
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(rest), []byte(" kB"))), 10, 64)
		if err != nil {
			return 0
		}
		return kb * 1024
	}
	return 0
}

package asyncio

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A goTransport moves a stream's bytes with goroutines on Go's network
// poller, for any net.Conn: a reader goroutine for the life of the
// connection, which reads into chunks and hands each to the loop
// (CallSoonThreadsafe), and a writer goroutine that writes what the
// connection did not take at once, and exists only while it has work.
// Where conn has a descriptor, a write is tried straight from the loop
// first, with one non-blocking write(2), and the reader waits for data
// holding no buffer.
type goTransport struct {
	s       *Stream
	conn    net.Conn
	raw     syscall.RawConn // for writes straight from the loop; nil if none
	pause   atomic.Bool
	resume  chan struct{} // one token: go on reading
	stop    chan struct{} // closed when the stream is finished
	stopped sync.Once

	// detach (StartTLS) stops both goroutines; loop-confined but parking.
	parking atomic.Bool
	parked  *Future[struct{}] // done when both goroutines have stopped
	halted  int               // goroutines stopped for detach

	// Shared with the writer goroutine.
	mu         sync.Mutex
	out        []byte
	outEOF     bool
	outClose   bool
	outDetach  bool // the writer stops for detach once all is written
	writing    bool // the writer goroutine runs; it ends when it has nothing to do
	writeFails atomic.Bool
}

func newGoTransport(s *Stream, conn net.Conn) *goTransport {
	return &goTransport{
		s: s, conn: conn, raw: rawConnOf(conn),
		resume: make(chan struct{}, 1), stop: make(chan struct{}),
	}
}

func (t *goTransport) start() { go t.readLoop() }

// readLoop is the reader goroutine.
func (t *goTransport) readLoop() {
	for {
		buf, n, err := t.readChunk()
		data := (*buf)[:n]
		if err != nil && t.parking.Load() {
			// detach ended the read: what came is kept.
			t.post(func() { t.halt(data); readBufs.Put(buf) })
			return
		}
		if t.s.l.CallSoonThreadsafe(func() { t.s.received(data, err); readBufs.Put(buf) }) != nil {
			readBufs.Put(buf)
			return // the loop is closed, and closed the connection
		}
		if err != nil {
			return
		}
		if t.pause.Load() {
			select {
			case <-t.resume:
			case <-t.stop:
				return
			}
		}
	}
}

// readBufs are the buffers reads from connections go into: a reader
// goroutine takes one only for as long as a read lasts where it can wait
// for data without one, so an idle connection holds none.
var readBufs = sync.Pool{New: func() any {
	b := make([]byte, readChunk)
	return &b
}}

// readChunk reads what has come, into a buffer from readBufs. Where the
// connection has a descriptor it waits for data holding no buffer.
func (t *goTransport) readChunk() (buf *[]byte, n int, err error) {
	if t.raw != nil {
		if buf, n, err = readRaw(t.raw); buf != nil {
			return buf, n, err
		}
		return readBufs.Get().(*[]byte), 0, err
	}
	buf = readBufs.Get().(*[]byte)
	n, err = t.conn.Read(*buf)
	return buf, n, err
}

func (t *goTransport) setReading(on bool) {
	t.pause.Store(!on)
	if on {
		t.wakeReader()
	}
}

// wakeReader lets a paused reader go back to reading.
func (t *goTransport) wakeReader() {
	select {
	case t.resume <- struct{}{}:
	default:
	}
}

func (t *goTransport) write(p []byte, idle bool) (int, error) {
	if idle && t.raw != nil {
		// Nothing queued: try the socket straight away, as uvloop does,
		// and hand the writer goroutine only what it does not take.
		n, err := tryWrite(t.raw, p)
		if err != nil {
			return 0, err
		}
		if p = p[n:]; len(p) == 0 {
			return 0, nil
		}
	}
	t.mu.Lock()
	t.out = append(t.out, p...)
	t.startWriterLocked()
	t.mu.Unlock()
	return len(p), nil
}

// startWriterLocked starts the writer goroutine unless it runs; t.mu is
// held. The writer ends once it has nothing to do, so an idle stream has
// no writer.
func (t *goTransport) startWriterLocked() {
	if !t.writing {
		t.writing = true
		go t.writeLoop()
	}
}

// writeLoop is the writer goroutine: it writes what write queued, then
// carries out shutWrite, close or detach once everything before them is
// written, and ends when there is nothing left to do.
func (t *goTransport) writeLoop() {
	var batch []byte
	for {
		t.mu.Lock()
		batch, t.out = t.out, batch[:0]
		idle := len(batch) == 0
		eof, closing, detach := idle && t.outEOF, idle && t.outClose, idle && t.outDetach
		switch {
		case eof:
			t.outEOF = false
		case closing:
			t.writing = false
		case detach:
			t.outDetach = false
			t.writing = false
		case idle:
			t.writing = false // a later write starts another writer
		}
		t.mu.Unlock()
		switch {
		case !idle:
			t.writeBatch(batch)
		case eof:
			if err := closeWrite(t.conn); err != nil {
				t.post(func() { t.s.written(0, 0, err) })
			}
		case closing:
			t.conn.Close()
			t.post(t.s.finish)
			return
		case detach:
			t.post(func() { t.halt(nil) })
			return
		default:
			return
		}
	}
}

// writeBatch writes one batch, on the writer goroutine, and reports it.
func (t *goTransport) writeBatch(batch []byte) {
	size, n, err := len(batch), len(batch), error(nil)
	if !t.writeFails.Load() {
		n, err = t.conn.Write(batch)
		t.writeFails.Store(err != nil)
	}
	t.post(func() { t.s.written(size, n, err) })
}

// post runs fn on the loop, if the loop is still open.
func (t *goTransport) post(fn func()) { t.s.l.CallSoonThreadsafe(fn) }

// closeWrite shuts down the writing side of conn, if it has one.
func closeWrite(conn net.Conn) error {
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return fmt.Errorf("asyncio: Stream.WriteEOF: a %T cannot close only its writing side", conn)
}

func (t *goTransport) shutWrite() {
	t.mu.Lock()
	t.outEOF = true
	t.startWriterLocked()
	t.mu.Unlock()
}

func (t *goTransport) close() {
	t.mu.Lock()
	t.outClose = true
	t.startWriterLocked()
	t.mu.Unlock()
}

func (t *goTransport) abort() { t.conn.Close() }

func (t *goTransport) external() bool { return true }

func (t *goTransport) finished() { t.stopped.Do(func() { close(t.stop) }) }

// detach stops both goroutines: the writer once it has nothing to write,
// the reader by a read deadline in the past, which ends the read it is
// in.
func (t *goTransport) detach(ctx context.Context) (net.Conn, error) {
	t.parked = CreateFuture[struct{}](ctx)
	t.parking.Store(true)
	t.mu.Lock()
	t.halted = 1 // the writer, unless it runs: then it stops when it sees outDetach
	if t.writing {
		t.halted = 0
		t.outDetach = true
	}
	t.mu.Unlock()
	t.conn.SetReadDeadline(time.Unix(1, 0))
	t.wakeReader() // a paused reader goes back to its read, which ends at once
	_, err := Await(ctx, Shield(ctx, t.parked))
	t.parking.Store(false)
	if err == nil {
		err = t.conn.SetReadDeadline(time.Time{})
	}
	return t.conn, err
}

// halt records, on the loop, that a goroutine stopped for detach, with
// what the reader had read.
func (t *goTransport) halt(data []byte) {
	if len(data) > 0 {
		t.s.received(data, nil)
	}
	t.halted++
	if t.halted == 2 && !t.parked.Done() {
		t.parked.SetResult(struct{}{})
	}
}

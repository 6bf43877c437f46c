package asyncio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/goasyncio/asyncio/internal/waitq"
)

// A datagram endpoint has one reader goroutine, blocked in the socket's
// read on Go's network poller, which hands what it reads to the loop with
// CallSoonThreadsafe; tasks take it from a Queue. Datagrams read while a
// hand-off is still waiting for the loop join that hand-off, so a burst
// costs the loop one callback, not one per datagram. The bound is kept by
// the reader, before the hand-off, so that datagrams waiting in the loop's
// inbox count against it too: a loop that is busy for a while does not let
// a flood pile up there. Sends are written from the loop's goroutine: a UDP
// send does not wait for the peer, so a goroutine per send would only add
// a hand-off.
//
// The rejected alternative, a goroutine that blocks in the read only while
// a task waits in RecvFrom, would lose what arrives between two RecvFrom
// calls to the kernel's buffer, which drops without telling; here the drops
// are counted.

// A Datagram is a UDP (or unixgram) endpoint whose datagrams are sent and
// received by tasks of one loop: the counterpart of the transport and
// protocol that loop.create_datagram_endpoint makes. Make one with
// ListenDatagram or DialDatagram, and Close it when done.
//
// Datagrams that arrive are queued until a task takes them with RecvFrom.
// The queue holds at most 1024 datagrams (see WithDatagramQueue), each at
// most 64 KiB (a longer one, which only unixgram can carry, is cut to
// that); what arrives while it is full is dropped and counted by Dropped,
// as a kernel's socket buffer drops, so that a flood cannot eat the
// program's memory.
//
// An open endpoint counts as I/O in flight, as executor work does: under
// WithVirtualClock the loop's clock does not jump and no ErrDeadlock is
// reported while an endpoint is open, since a datagram may still arrive.
// Time stands still for as long as one is open, so a test in virtual time
// closes its endpoints as soon as it is done with them.
//
// The methods must be called on the loop's goroutine, from tasks or
// callbacks of the loop the endpoint was made on; Dropped, LocalAddr and
// RemoteAddr may be called from any goroutine. A loop that closes closes the
// endpoints left open on it. A Datagram must not be copied.
type Datagram struct {
	_      noCopy
	loop   *Loop
	pc     net.PacketConn    // unconnected: ListenDatagram
	conn   net.Conn          // connected: DialDatagram
	np     NetworkPacketConn // either, on the loop's Network
	limit  int64
	q      Queue[datagram]
	node   *waitq.Node[io.Closer]
	closed bool  // Close was called
	open   bool  // counted in the loop's external work
	err    error // what RecvFrom returns once the queue is empty and shut down

	pending atomic.Int64 // read and accepted, not yet taken by RecvFrom
	dropped atomic.Uint64
	done    chan struct{} // closed when the reader goroutine ends

	// Shared with the reader goroutine.
	mu        sync.Mutex
	batch     []datagram // read, not yet handed to the loop
	scheduled bool       // a hand-off is in the loop's inbox
	readErr   error      // why the reader ended, if not by Close
	closing   bool       // Close has begun: the reader hands nothing more
}

// A datagram is what one read gave: a payload and its sender, or an error
// the socket reported (a refused connected send).
type datagram struct {
	p    []byte
	addr net.Addr
	err  error
}

const (
	defaultDatagramQueue = 1024
	maxDatagram          = 64 << 10 // larger is cut by the read
)

// A DatagramOption configures an endpoint made by ListenDatagram or
// DialDatagram.
type DatagramOption interface{ applyDatagram(*Datagram) }

type datagramOption func(*Datagram)

func (f datagramOption) applyDatagram(d *Datagram) { f(d) }

// WithDatagramQueue sets the number of received datagrams the endpoint
// holds for RecvFrom; what arrives beyond it is dropped and counted by
// Dropped. The default is 1024; n < 1 keeps the default.
func WithDatagramQueue(n int) DatagramOption {
	return datagramOption(func(d *Datagram) {
		if n >= 1 {
			d.limit = int64(n)
		}
	})
}

// datagramNet opens the sockets of datagram endpoints: the one place where
// a simulated network can stand in for the host's.
type datagramNet interface {
	ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error)
	Dial(ctx context.Context, network, address string) (net.Conn, error)
}

// datagrams is the network that ListenDatagram and DialDatagram use.
var datagrams datagramNet = hostDatagrams{}

// hostDatagrams is the host's network, through package net.
type hostDatagrams struct{}

func (hostDatagrams) ListenPacket(ctx context.Context, network, address string) (net.PacketConn, error) {
	var lc net.ListenConfig
	return lc.ListenPacket(ctx, network, address)
}

func (hostDatagrams) Dial(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, network, address)
}

// ListenDatagram returns an endpoint bound to address on network ("udp",
// "udp4", "udp6" or "unixgram"), which receives from any sender and sends
// with SendTo: the counterpart of create_datagram_endpoint with local_addr.
// An address with port 0, such as "127.0.0.1:0", takes a free port; see
// LocalAddr. A host name in address is resolved while the loop waits.
//
// ListenDatagram panics as CreateTask does when ctx does not belong to a
// task of a running loop.
func ListenDatagram(ctx context.Context, network, address string, opts ...DatagramOption) (*Datagram, error) {
	t := runningTask(ctx, "ListenDatagram")
	if err := checkDatagramNetwork("ListenDatagram", network); err != nil {
		return nil, err
	}
	if l := t.loop(); l.net != nil {
		return openDatagramOn(ctx, l, network, address, "", opts)
	}
	pc, err := datagrams.ListenPacket(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return openDatagram(t.loop(), pc, nil, opts), nil
}

// DialDatagram returns an endpoint connected to the remote address on
// network ("udp", "udp4", "udp6" or "unixgram"): it sends there with Send,
// and receives only from there. It is the counterpart of
// create_datagram_endpoint with remote_addr. A send to a UDP port where no
// one listens makes a later RecvFrom return an error matching
// syscall.ECONNREFUSED, where the system reports it. A host name in address
// is resolved while the loop waits.
//
// DialDatagram panics as CreateTask does when ctx does not belong to a task
// of a running loop.
func DialDatagram(ctx context.Context, network, address string, opts ...DatagramOption) (*Datagram, error) {
	t := runningTask(ctx, "DialDatagram")
	if err := checkDatagramNetwork("DialDatagram", network); err != nil {
		return nil, err
	}
	if l := t.loop(); l.net != nil {
		return openDatagramOn(ctx, l, network, "", address, opts)
	}
	c, err := datagrams.Dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return openDatagram(t.loop(), nil, c, opts), nil
}

// checkDatagramNetwork says why op cannot open an endpoint on network, if
// it cannot.
func checkDatagramNetwork(op, network string) error {
	switch network {
	case "udp", "udp4", "udp6", "unixgram":
		return nil
	}
	return fmt.Errorf("asyncio: %s: %w", op, net.UnknownNetworkError(network))
}

// openDatagram makes the endpoint of pc or c and starts its reader.
func openDatagram(l *Loop, pc net.PacketConn, c net.Conn, opts []DatagramOption) *Datagram {
	d := &Datagram{loop: l, pc: pc, conn: c, limit: defaultDatagramQueue, open: true, done: make(chan struct{})}
	for _, o := range opts {
		o.applyDatagram(d)
	}
	l.addExternal()
	d.node = l.track(d)
	go d.read()
	return d
}

// SendTo sends p as one datagram to addr. On a connected endpoint, addr
// must be nil or its remote address. It returns the socket's error, if
// any, and an error matching net.ErrClosed once the endpoint is closed. The
// send is written at once: p may be reused when SendTo returns.
func (d *Datagram) SendTo(p []byte, addr net.Addr) error {
	if d.closed {
		return errDatagramClosed
	}
	if d.np != nil {
		return d.sendOn(p, addr)
	}
	if d.conn != nil {
		if addr != nil && addr.String() != d.conn.RemoteAddr().String() {
			return fmt.Errorf("asyncio: SendTo %v on a datagram endpoint connected to %v", addr, d.conn.RemoteAddr())
		}
		_, err := d.conn.Write(p)
		return err
	}
	if addr == nil {
		return errors.New("asyncio: SendTo with a nil address on an unconnected datagram endpoint")
	}
	_, err := d.pc.WriteTo(p, addr)
	return err
}

// Send sends p as one datagram to the remote address of an endpoint made
// by DialDatagram; on an endpoint made by ListenDatagram it returns an
// error, since there is no remote address. It is otherwise SendTo.
func (d *Datagram) Send(p []byte) error {
	if d.RemoteAddr() == nil && !d.closed {
		return errors.New("asyncio: Send on a datagram endpoint that is not connected; use SendTo")
	}
	return d.SendTo(p, nil)
}

// RecvFrom suspends the task owning ctx until a datagram has arrived, and
// returns it and its sender; the slice belongs to the caller. Datagrams are
// taken in the order they arrived, by the tasks in the order they called.
//
// If the task is cancelled, RecvFrom returns ErrCancelled; if ctx is a
// context derived from the task's and it is done first, RecvFrom returns
// its error (context.DeadlineExceeded, context.Canceled). In both cases no
// datagram was taken: the next RecvFrom gets it. An error the socket
// reported (see DialDatagram) is returned in its turn, with no datagram.
// After Close, RecvFrom returns the datagrams still queued, then an error
// matching net.ErrClosed, as do the calls waiting when Close is called.
//
// RecvFrom panics as Await does when ctx does not belong to the running
// task.
func (d *Datagram) RecvFrom(ctx context.Context) ([]byte, net.Addr, error) {
	if t := runningTask(ctx, "Datagram.RecvFrom"); t.loop() != d.loop {
		panic("asyncio: Datagram.RecvFrom from a task of another loop than the endpoint's")
	}
	dg, err := d.q.Get(ctx)
	switch {
	case errors.Is(err, ErrQueueShutDown):
		return nil, nil, d.err
	case err != nil:
		return nil, nil, err
	}
	d.pending.Add(-1)
	return dg.p, dg.addr, dg.err
}

// Dropped returns the number of datagrams dropped because the receive
// queue was full. It may be called from any goroutine.
func (d *Datagram) Dropped() uint64 { return d.dropped.Load() }

// LocalAddr returns the address the endpoint is bound to. It may be called
// from any goroutine.
func (d *Datagram) LocalAddr() net.Addr {
	if d.np != nil {
		return d.np.LocalAddr()
	}
	if d.conn != nil {
		return d.conn.LocalAddr()
	}
	return d.pc.LocalAddr()
}

// RemoteAddr returns the address a connected endpoint sends to, or nil for
// an endpoint made by ListenDatagram. It may be called from any goroutine.
func (d *Datagram) RemoteAddr() net.Addr {
	if d.np != nil {
		return d.np.RemoteAddr()
	}
	if d.conn != nil {
		return d.conn.RemoteAddr()
	}
	return nil
}

// Close closes the socket and waits for the reader goroutine to end. The
// datagrams already received stay queued for RecvFrom; tasks waiting in
// RecvFrom return an error matching net.ErrClosed, and so do sends. Close
// returns the socket's error; closing again does nothing and returns nil.
func (d *Datagram) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	if d.np != nil {
		err := d.np.Close()
		d.loop.untrack(d.node)
		d.stop(errDatagramClosed)
		return err
	}
	d.mu.Lock()
	d.closing = true
	b := d.batch
	d.batch = nil
	d.mu.Unlock()
	d.enqueue(b)
	var err error
	if d.conn != nil {
		err = d.conn.Close()
	} else {
		err = d.pc.Close()
	}
	<-d.done // soon: the read returns at once on a closed socket
	d.loop.untrack(d.node)
	d.stop(errDatagramClosed)
	return err
}

// errDatagramClosed is what an endpoint's calls return after Close.
var errDatagramClosed = fmt.Errorf("asyncio: datagram endpoint closed: %w", net.ErrClosed)

// stop ends the receiving side: RecvFrom returns err once the queue is
// empty, and the endpoint no longer holds the virtual clock.
func (d *Datagram) stop(err error) {
	d.err = err
	d.q.Shutdown(false)
	if d.open {
		d.open = false
		d.loop.doneExternal()
	}
}

// read is the reader goroutine: it reads datagrams until the socket fails
// or is closed.
func (d *Datagram) read() {
	defer close(d.done)
	buf := make([]byte, maxDatagram)
	for {
		var n int
		var addr net.Addr
		var err error
		if d.conn != nil {
			n, err = d.conn.Read(buf)
			addr = d.conn.RemoteAddr()
		} else {
			n, addr, err = d.pc.ReadFrom(buf)
		}
		if !d.handOff(buf[:n], addr, err) {
			return
		}
	}
}

// handOff passes what one read gave to the loop, or drops it if the
// queue is full, and reports whether the reader should go on. Only the
// reader adds to pending, so it cannot overshoot the limit.
func (d *Datagram) handOff(p []byte, addr net.Addr, err error) bool {
	fatal := err != nil && !refused(err)
	var dg datagram
	if !fatal {
		if d.pending.Load() >= d.limit {
			d.dropped.Add(1)
			return true
		}
		d.pending.Add(1)
		dg = datagram{p: bytes.Clone(p), addr: addr, err: err}
	}
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		return false
	}
	if fatal {
		d.readErr = err
	} else {
		d.batch = append(d.batch, dg)
	}
	schedule := !d.scheduled
	d.scheduled = true
	d.mu.Unlock()
	if schedule {
		// Fails only once the loop is closed, and then Close has
		// closed the endpoint and does not wait for this hand-off.
		d.loop.CallSoonThreadsafe(d.deliver)
	}
	return !fatal
}

// deliver moves a hand-off into the queue, on the loop.
func (d *Datagram) deliver() {
	d.mu.Lock()
	b, readErr := d.batch, d.readErr
	d.batch, d.scheduled, d.readErr = nil, false, nil
	d.mu.Unlock()
	if d.closed {
		return // Close took the batch
	}
	d.enqueue(b)
	if readErr != nil {
		d.stop(fmt.Errorf("asyncio: datagram endpoint stopped receiving: %w", readErr))
	}
}

// enqueue adds datagrams to the queue; the reader kept it within its
// limit.
func (d *Datagram) enqueue(b []datagram) {
	for _, dg := range b {
		d.q.PutNowait(dg) // unbounded and open: cannot fail
	}
}

// openDatagramOn opens an endpoint on the loop's Network, which delivers
// on the loop itself: no reader goroutine, and nothing counts as I/O in
// flight.
func openDatagramOn(ctx context.Context, l *Loop, network, address, remote string, opts []DatagramOption) (*Datagram, error) {
	np, err := l.net.ListenPacket(ctx, network, address, remote)
	if err != nil {
		return nil, err
	}
	d := &Datagram{loop: l, np: np, limit: defaultDatagramQueue}
	for _, o := range opts {
		o.applyDatagram(d)
	}
	d.node = l.track(d)
	np.Start(d.receivedOn)
	return d, nil
}

// receivedOn takes a datagram from the loop's Network, or drops it if the
// queue is full.
func (d *Datagram) receivedOn(p []byte, from net.Addr) {
	if d.closed {
		return
	}
	if d.pending.Load() >= d.limit {
		d.dropped.Add(1)
		return
	}
	d.pending.Add(1)
	d.q.PutNowait(datagram{p: p, addr: from})
}

// sendOn is SendTo on the loop's Network.
func (d *Datagram) sendOn(p []byte, addr net.Addr) error {
	if r := d.np.RemoteAddr(); r != nil && addr != nil && addr.String() != r.String() {
		return fmt.Errorf("asyncio: SendTo %v on a datagram endpoint connected to %v", addr, r)
	}
	if addr == nil && d.np.RemoteAddr() == nil {
		return errors.New("asyncio: SendTo with a nil address on an unconnected datagram endpoint")
	}
	return d.np.WriteTo(p, addr)
}

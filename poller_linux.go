package asyncio

import (
	"math"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The loop's own poller, on Linux: an epoll instance that the loop waits
// on when it is idle, instead of a channel, once a connection is polled
// (transport_poll.go). CallSoonThreadsafe then wakes it through an
// eventfd, written only while the loop is actually asleep in epoll_wait.
// The poller is made with the first polled connection and closed with
// the loop; a loop that never opens one never makes it.

// A poller is the loop's epoll instance and what it watches.
type poller struct {
	epfd     int
	wakefd   int // an eventfd in the epoll set: CallSoonThreadsafe's wake-up
	handlers map[int32]pollHandler
	events   []unix.EpollEvent
	buf      []byte // what polled reads go into, shared: the loop reads one at a time
}

// A pollHandler is told, on the loop, which events came for its descriptor.
type pollHandler interface{ ready(events uint32) }

// The states of Loop.pollState: whether the loop sleeps in epoll_wait, and
// whether someone has already written its eventfd to wake it.
const (
	pollAwake int32 = iota
	pollAsleep
	pollWoken
)

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	wakefd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	p := &poller{
		epfd: epfd, wakefd: wakefd, handlers: make(map[int32]pollHandler),
		events: make([]unix.EpollEvent, 128), buf: make([]byte, readChunk),
	}
	if err := p.ctl(unix.EPOLL_CTL_ADD, wakefd, unix.EPOLLIN); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *poller) ctl(op, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	return unix.EpollCtl(p.epfd, op, fd, &ev)
}

// watch sets what events of fd are wanted, adding or removing fd from the
// epoll set as needed: a descriptor that wants nothing is not in the set,
// so that an error or hang-up on it, which epoll reports whatever is
// asked, cannot wake the loop over and over.
func (p *poller) watch(fd int, h pollHandler, was, events uint32) error {
	switch {
	case was == events:
		return nil
	case events == 0:
		delete(p.handlers, int32(fd))
		return p.ctl(unix.EPOLL_CTL_DEL, fd, 0)
	case was == 0:
		p.handlers[int32(fd)] = h
		return p.ctl(unix.EPOLL_CTL_ADD, fd, events)
	}
	return p.ctl(unix.EPOLL_CTL_MOD, fd, events)
}

// wait waits up to d (d < 0: for ever) for events, and hands each to its
// handler. It returns how many came.
func (p *poller) wait(d time.Duration) int {
	n, err := p.epollWait(d)
	if err != nil {
		return 0 // EINTR: the caller looks again
	}
	for i := range n {
		ev := p.events[i]
		if int(ev.Fd) == p.wakefd {
			var b [8]byte
			unix.Read(p.wakefd, b[:])
			continue
		}
		if h := p.handlers[ev.Fd]; h != nil {
			h.ready(ev.Events)
		}
	}
	return n
}

// noPwait2 records that the kernel lacks epoll_pwait2 (before Linux 5.11)
// or forbids it, so that timeouts are rounded up to the millisecond.
var noPwait2 atomic.Bool

// epollWait is epoll_wait with a timeout to the nanosecond where the
// kernel has epoll_pwait2, so that a timer is not late by up to a
// millisecond.
func (p *poller) epollWait(d time.Duration) (int, error) {
	if d > 0 && !noPwait2.Load() {
		ts := unix.NsecToTimespec(int64(d))
		n, _, errno := unix.Syscall6(unix.SYS_EPOLL_PWAIT2, uintptr(p.epfd),
			uintptr(unsafe.Pointer(&p.events[0])), uintptr(len(p.events)),
			uintptr(unsafe.Pointer(&ts)), 0, 0)
		switch errno {
		case 0:
			return int(n), nil
		case unix.ENOSYS, unix.EPERM:
			noPwait2.Store(true)
		default:
			return 0, errno
		}
	}
	ms := -1
	if d >= 0 {
		ms = int(min((d+time.Millisecond-1)/time.Millisecond, math.MaxInt32))
	}
	return unix.EpollWait(p.epfd, p.events, ms)
}

// wake writes the eventfd, which ends an epoll_wait.
func (p *poller) wake() {
	one := [8]byte{1}
	unix.Write(p.wakefd, one[:])
}

func (p *poller) close() {
	unix.Close(p.wakefd)
	unix.Close(p.epfd)
}

// getPoller returns the loop's poller, making it on first use; nil if the
// system refuses one (out of descriptors), and streams then use goroutines.
func (l *Loop) getPoller() *poller {
	if l.poll == nil {
		p, err := newPoller()
		if err != nil {
			return nil
		}
		l.poll = p
	}
	return l.poll
}

// pollWait is block's wait when the loop has a poller: epoll_wait until an
// event, a wake-up from CallSoonThreadsafe, or, unless forever, the end of
// wait. It reports whether the time ran out.
func (l *Loop) pollWait(forever bool, wait time.Duration) (timedOut bool) {
	if forever {
		wait = -1
	}
	l.pollState.Store(pollAsleep)
	if l.inboxN.Load() > 0 { // it came between idle's look and the store
		l.pollState.Store(pollAwake)
		return false
	}
	n := l.poll.wait(wait)
	l.pollState.Store(pollAwake)
	return n == 0 && !forever
}

// pollNow hands the events that have come to their handlers without
// waiting: a busy loop does it every iteration, so that connections are
// served while tasks keep it busy.
func (l *Loop) pollNow() {
	if l.poll != nil && len(l.poll.handlers) > 0 {
		l.poll.wait(0)
	}
}

// wakePoller wakes the loop if it sleeps in epoll_wait; any goroutine
// calls it after adding to the inbox.
func (l *Loop) wakePoller() {
	if l.pollState.Load() == pollAsleep && l.pollState.CompareAndSwap(pollAsleep, pollWoken) {
		l.poll.wake()
	}
}

// closePoller closes the poller, as the loop closes.
func (l *Loop) closePoller() {
	if l.poll != nil {
		l.poll.close()
		l.poll = nil
	}
}

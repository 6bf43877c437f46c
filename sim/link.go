package sim

import (
	"cmp"
	"slices"
	"time"
)

// A Link says how bytes travel from one host to another.
type Link struct {
	// Latency is the one-way delay of every message.
	Latency time.Duration
	// Jitter adds a random delay in [0, Jitter) to each message; order
	// within a connection is kept all the same.
	Jitter time.Duration
	// Bandwidth, in bytes per second, makes a message wait while the
	// link still carries the ones before it; 0 is no limit.
	Bandwidth int
	// Loss is the probability that a datagram is lost, and Duplicate that
	// it arrives twice; a connection's bytes are never lost or doubled,
	// as TCP retransmits them and drops duplicates.
	Loss, Duplicate float64
}

// A link is the state of one direction between two hosts.
type link struct {
	cfg    Link
	cut    bool          // partitioned: nothing gets through
	held   bool          // held: messages wait for Release
	parked []parked      // what waits for Repair or Release
	sent   uint64        // messages sent: their order
	free   time.Duration // when the link has carried what it was given
	last   time.Duration // the latest arrival scheduled: arrivals keep order
}

// A parked message waits for a link to open again.
type parked struct {
	seq      uint64
	arrive   func()
	datagram bool // lost, not kept, when the link is cut
}

// link returns the direction from a to b.
func (w *World) link(a, b *Host) *link {
	k := [2]*Host{a, b}
	l := w.links[k]
	if l == nil {
		l = &link{cfg: w.defaultLink}
		w.links[k] = l
	}
	return l
}

// SetLink sets how bytes travel between hosts a and b, both ways. The
// default is a 1 ms latency, no jitter and no bandwidth limit; SetDefaultLink changes it.
func (w *World) SetLink(a, b string, cfg Link) {
	ha, hb := w.must("SetLink", a), w.must("SetLink", b)
	w.link(ha, hb).cfg = cfg
	w.link(hb, ha).cfg = cfg
	w.tracef("link %s %s latency %v jitter %v bandwidth %d loss %g duplicate %g", a, b, cfg.Latency, cfg.Jitter, cfg.Bandwidth, cfg.Loss, cfg.Duplicate)
}

// SetDefaultLink sets how bytes travel between hosts that SetLink did not
// configure. Call it before Run.
func (w *World) SetDefaultLink(cfg Link) { w.defaultLink = cfg }

// Partition cuts hosts a and b apart, both ways: nothing gets through
// until Repair. Datagrams are lost. A connection's bytes are not, as TCP
// retransmits them: they arrive after Repair. A connection being made waits, and
// fails after the system's connect timeout if the cut lasts.
func (w *World) Partition(a, b string) {
	ha, hb := w.must("Partition", a), w.must("Partition", b)
	w.link(ha, hb).cut = true
	w.link(hb, ha).cut = true
	w.tracef("partition %s %s", a, b)
}

// Repair ends a Partition of hosts a and b.
func (w *World) Repair(a, b string) {
	ha, hb := w.must("Repair", a), w.must("Repair", b)
	w.tracef("repair %s %s", a, b)
	w.link(ha, hb).cut = false
	w.link(hb, ha).cut = false
	w.flushParked(ha, hb)
	w.flushParked(hb, ha)
}

// Hold keeps the messages from a to b, and those sent meanwhile, from
// arriving until Release: one direction only.
func (w *World) Hold(a, b string) {
	w.link(w.must("Hold", a), w.must("Hold", b)).held = true
	w.tracef("hold %s %s", a, b)
}

// Release delivers what Hold kept from a to b, in order, and lets
// messages through again.
func (w *World) Release(a, b string) {
	ha, hb := w.must("Release", a), w.must("Release", b)
	w.tracef("release %s %s", a, b)
	w.link(ha, hb).held = false
	w.flushParked(ha, hb)
}

// flushParked sends again what waited on the link from a to b, if it is
// open now.
func (w *World) flushParked(a, b *Host) {
	l := w.link(a, b)
	if l.cut || l.held {
		return
	}
	ps := l.parked
	l.parked = nil
	slices.SortFunc(ps, func(x, y parked) int { return cmp.Compare(x.seq, y.seq) })
	for _, p := range ps {
		w.schedule(l, p, 0)
	}
}

// send carries a message of n bytes from a to b: arrive runs on the loop
// when it arrives. Messages between two hosts arrive in the order they
// were sent.
func (w *World) send(a, b *Host, n int, arrive func()) {
	l := w.link(a, b)
	l.sent++
	p := parked{seq: l.sent, arrive: arrive}
	if l.cut || l.held {
		l.parked = append(l.parked, p)
		return
	}
	w.schedule(l, p, n)
}

// schedule works out when a message of n bytes sent now arrives.
func (w *World) schedule(l *link, p parked, n int) {
	now := w.now()
	start := max(now, l.free)
	if l.cfg.Bandwidth > 0 {
		l.free = start + time.Duration(int64(n)*int64(time.Second)/int64(l.cfg.Bandwidth))
	} else {
		l.free = start
	}
	at := l.free + l.cfg.Latency
	if l.cfg.Jitter > 0 {
		at += time.Duration(w.rng.Int64N(int64(l.cfg.Jitter)))
	}
	at = max(at, l.last)
	l.last = at
	w.after(at-now, func() {
		switch {
		case l.cut && p.datagram:
			w.tracef("datagram lost: cut")
		case l.cut || l.held: // stopped on its way: it waits like the rest
			l.parked = append(l.parked, p)
		default:
			p.arrive()
		}
	})
}

// sendDatagram carries a datagram of n bytes from a to b, as send does a
// segment, except that a cut link loses it, and the link's Loss and
// Duplicate apply, drawn from the seed.
func (w *World) sendDatagram(a, b *Host, n int, arrive func()) {
	l := w.link(a, b)
	switch {
	case l.cut:
		w.tracef("datagram %s -> %s lost: cut", a.name, b.name)
		return
	case l.cfg.Loss > 0 && w.rng.Float64() < l.cfg.Loss:
		w.tracef("datagram %s -> %s lost", a.name, b.name)
		return
	}
	copies := 1
	if l.cfg.Duplicate > 0 && w.rng.Float64() < l.cfg.Duplicate {
		copies = 2
		w.tracef("datagram %s -> %s duplicated", a.name, b.name)
	}
	for range copies {
		l.sent++
		p := parked{seq: l.sent, arrive: arrive, datagram: true}
		if l.held {
			l.parked = append(l.parked, p)
			continue
		}
		w.schedule(l, p, n)
	}
}

package sim

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/goasyncio/asyncio"
)

// A packetConn is a simulated UDP endpoint: an asyncio.NetworkPacketConn.
type packetConn struct {
	w           *World
	h           *Host
	incarnation int
	local       *net.UDPAddr
	remote      *net.UDPAddr // connected to; nil if not
	received    func([]byte, net.Addr)
	closed      bool
}

func (n network) ListenPacket(ctx context.Context, network, address, remote string) (asyncio.NetworkPacketConn, error) {
	w := n.w
	op := "ListenDatagram"
	if remote != "" {
		op = "DialDatagram"
	}
	h, err := w.caller(ctx, op)
	if err != nil {
		return nil, err
	}
	p := &packetConn{w: w, h: h, incarnation: h.incarnation}
	port := 0
	if remote != "" {
		to, rport, err := w.resolve(h, "dial", udpAsTCP(network), remote)
		if err != nil {
			return nil, err
		}
		p.remote = &net.UDPAddr{IP: to.addr.AsSlice(), Port: rport}
	} else {
		at, lport, err := w.resolve(h, "listen", udpAsTCP(network), address)
		if err != nil {
			return nil, err
		}
		if at != h {
			return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", errAddrNotAvail)}
		}
		port = lport
	}
	if port == 0 {
		port = h.ephemeral()
	}
	if h.udp[port] != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: os.NewSyscallError("bind", errAddrInUse)}
	}
	p.local = &net.UDPAddr{IP: h.addr.AsSlice(), Port: port}
	h.udp[port] = p
	w.tracef("%s: udp :%d", h.name, port)
	return p, nil
}

// udpAsTCP maps a datagram network to the stream network of the same
// family, for resolve, which checks stream networks.
func udpAsTCP(network string) string {
	switch network {
	case "udp", "udp4", "udp6":
		return "tcp" + network[3:]
	}
	return network
}

func (p *packetConn) Start(received func([]byte, net.Addr)) { p.received = received }

func (p *packetConn) LocalAddr() net.Addr { return p.local }

func (p *packetConn) RemoteAddr() net.Addr {
	if p.remote == nil {
		return nil
	}
	return p.remote
}

func (p *packetConn) WriteTo(b []byte, addr net.Addr) error {
	if p.closed || !p.h.up || p.h.incarnation != p.incarnation {
		return &net.OpError{Op: "write", Net: "udp", Source: p.local, Err: net.ErrClosed}
	}
	to := p.remote
	if addr != nil {
		var ok bool
		if to, ok = addr.(*net.UDPAddr); !ok {
			return fmt.Errorf("sim: SendTo a %T address; want a *net.UDPAddr from RecvFrom or LocalAddr", addr)
		}
	}
	h := p.w.lookup(to.IP.String())
	if h == nil {
		return &net.OpError{Op: "write", Net: "udp", Source: p.local, Addr: to, Err: os.NewSyscallError("sendto", errNetUnreach)}
	}
	data := append([]byte(nil), b...)
	from, port, inc := p.local, to.Port, h.incarnation
	p.w.tracef("udp %s:%d -> %s:%d %d B", p.h.name, p.local.Port, h.name, port, len(b))
	p.w.sendDatagram(p.h, h, len(b), func() {
		q := h.udp[port]
		switch {
		case !h.up || h.incarnation != inc || q == nil || q.closed || q.received == nil:
			p.w.tracef("udp to %s:%d dropped: no endpoint", h.name, port)
		case q.remote != nil && !q.remote.IP.Equal(from.IP) || q.remote != nil && q.remote.Port != from.Port:
			// a connected endpoint takes only its peer's datagrams
		default:
			q.received(append([]byte(nil), data...), from)
		}
	})
	return nil
}

func (p *packetConn) Close() error {
	if !p.closed {
		p.closed = true
		if p.h.udp[p.local.Port] == p {
			delete(p.h.udp, p.local.Port)
		}
	}
	return nil
}

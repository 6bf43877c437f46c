package greenlet_test

import (
	"iter"
	"testing"

	"github.com/goasyncio/asyncio/greenlet"
)

// The benchmarks compare a greenlet switch with the two ways Go hands
// control from one goroutine to another: iter.Pull's coroutine switch,
// which Switch is built on, and an unbuffered channel. Each reports ns/op
// for what its name says, and ns/switch (or ns/handoff) for one direction,
// so that all of them can be compared per handoff. bench_greenlet.py runs
// BenchmarkSwitch's ping-pong with Python's greenlet.

// BenchmarkSwitch measures one Switch between two greenlets that switch to
// each other in turn: ns/op is per one-direction switch.
func BenchmarkSwitch(b *testing.B) {
	main := greenlet.Current()
	n := b.N
	var ping, pong *greenlet.Greenlet
	ping = greenlet.New(func(...any) any {
		pong.Switch() // start pong
		main.Switch() // ready
		for i := 0; i < n; i += 2 {
			pong.Switch()
		}
		return nil
	})
	pong = greenlet.New(func(...any) any {
		for {
			ping.Switch()
		}
	})
	ping.Switch()
	b.ResetTimer()
	ping.Switch()
	b.StopTimer()
	pong.Kill()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/switch")
}

// BenchmarkSwitchMainRoundTrip measures a Switch from the main greenlet to
// a greenlet and the Switch back: two switches per op.
func BenchmarkSwitchMainRoundTrip(b *testing.B) {
	main := greenlet.Current()
	g := greenlet.New(func(...any) any {
		for {
			main.Switch()
		}
	})
	g.Switch()
	for b.Loop() {
		g.Switch()
	}
	g.Kill()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/switch")
}

// BenchmarkPullRoundTrip measures a call of iter.Pull's next and the yield
// that returns from it: two coroutine switches per op.
func BenchmarkPullRoundTrip(b *testing.B) {
	next, stop := iter.Pull(func(yield func(struct{}) bool) {
		for yield(struct{}{}) {
		}
	})
	defer stop()
	for b.Loop() {
		next()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/switch")
}

// BenchmarkChannelRoundTrip measures a send on an unbuffered channel to
// another goroutine and its reply on a second one: two handoffs per op.
func BenchmarkChannelRoundTrip(b *testing.B) {
	ping, pong := make(chan struct{}), make(chan struct{})
	go func() {
		for v := range ping {
			pong <- v
		}
		close(pong)
	}()
	for b.Loop() {
		ping <- struct{}{}
		<-pong
	}
	close(ping)
	<-pong
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/handoff")
}

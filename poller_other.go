//go:build !linux

package asyncio

import (
	"net"
	"time"
)

// Only Linux has the loop's own poller for now (poller_linux.go); on other
// systems every stream uses the goroutine transport, and the loop sleeps
// on its channel.

type poller struct{}

func (l *Loop) pollTransportFor(*Stream, net.Conn) transport { return nil }

func (l *Loop) pollWait(bool, time.Duration) bool { return false }

func (l *Loop) pollNow()     {}
func (l *Loop) wakePoller()  {}
func (l *Loop) closePoller() {}

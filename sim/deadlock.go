package sim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/goasyncio/asyncio"
)

// A DeadlockError is Run's error when no task of the world can make
// progress and nothing is scheduled: asyncio's, with the stuck tasks
// grouped by the host they run on. It matches asyncio.ErrDeadlock.
type DeadlockError struct {
	Err *asyncio.DeadlockError
	// Hosts maps a host's name to its stuck tasks; the tasks of no host
	// (the driver's) are under "".
	Hosts map[string][]asyncio.TaskInfo
	order []string // host names, in the world's order, then ""
}

func (e *DeadlockError) Error() string {
	var b strings.Builder
	b.WriteString("sim: deadlock: no task of any host can make progress and nothing is scheduled")
	for _, name := range e.order {
		tasks := e.Hosts[name]
		if len(tasks) == 0 {
			continue
		}
		label := "host " + name
		if name == "" {
			label = "on no host"
		}
		fmt.Fprintf(&b, "\n%s:", label)
		for _, ti := range tasks {
			fmt.Fprintf(&b, "\n\ttask %d %s (%s) awaits %s", ti.ID, ti.Name, ti.Func, ti.Awaiting)
		}
	}
	return b.String()
}

// Unwrap returns asyncio's deadlock error.
func (e *DeadlockError) Unwrap() error { return e.Err }

// hostTaskFunc ends the function name of the tasks Host.Go starts.
const hostTaskFunc = "sim.(*Host).Go.func1"

// byHost groups the tasks of a deadlock by host: a task belongs to the
// host whose Go or boot started it or an ancestor, which carries the
// host's name.
func (w *World) byHost(err error) error {
	var de *asyncio.DeadlockError
	if !errors.As(err, &de) {
		return err
	}
	parent := make(map[uint64]asyncio.TaskInfo, len(de.Tasks))
	for _, ti := range de.Tasks {
		parent[ti.ID] = ti
	}
	out := &DeadlockError{Err: de, Hosts: make(map[string][]asyncio.TaskInfo)}
	for _, h := range w.hosts {
		out.order = append(out.order, h.name)
	}
	out.order = append(out.order, "")
	for _, ti := range de.Tasks {
		host := ""
		for a, ok := ti, true; ok; a, ok = parent[a.Parent] {
			if w.lookup(a.Name) != nil && a.Func == hostTaskFunc {
				host = a.Name
				break
			}
		}
		out.Hosts[host] = append(out.Hosts[host], ti)
	}
	return out
}

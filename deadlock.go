package asyncio

import (
	"fmt"
	"strings"
)

// What a loop that cannot go on says about its tasks: the ErrDeadlock
// error of a virtual clock, and the idle report of a debug loop.

// deadlock explains why a virtual-clock loop cannot go on.
func (l *Loop) deadlock() error {
	if l.live.n == 0 {
		return fmt.Errorf("%w: nothing is scheduled and nothing can wake the loop", ErrDeadlock)
	}
	return fmt.Errorf("%w: no task can make progress and nothing can wake the loop (no callbacks, timers or executor work):%s",
		ErrDeadlock, l.describeTasks())
}

// reportStuck tells, in debug mode, what the tasks of a loop that has long
// had nothing to do are waiting for.
func (l *Loop) reportStuck() {
	if l.live.n == 0 {
		return
	}
	msg := fmt.Sprintf("loop idle for %v with nothing scheduled", stuckReport)
	if n := l.queuedTasks(); n > 0 {
		msg += fmt.Sprintf("; %s for executor work that has not started, as all workers of its executor are busy (ToThread work that ignores ctx holds its worker: see ToThread)", tasksWait(n))
	}
	l.report(&Exception{Message: msg + "; waiting tasks:" + l.describeTasks()})
}

// queuedTasks counts the tasks that await executor work still queued.
func (l *Loop) queuedTasks() int {
	n := 0
	for t := l.live.first; t != nil; t = t.next {
		if w := t.waitingOn; w != nil && !w.Done() {
			if q := executorWork(w.futBase()); q != nil && q.queued() {
				n++
			}
		}
	}
	return n
}

// tasksWait says "1 task waits" or "n tasks wait".
func tasksWait(n int) string {
	if n == 1 {
		return "1 task waits"
	}
	return fmt.Sprintf("%d tasks wait", n)
}

// describeTasks is the task dump of the loop, indented for an error text.
func (l *Loop) describeTasks() string {
	dump := strings.TrimSuffix(FormatTasks(l.Tasks()), "\n")
	return "\n\t" + strings.ReplaceAll(dump, "\n", "\n\t")
}

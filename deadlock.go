package asyncio

import (
	"fmt"
	"strings"
)

// What a loop that cannot go on says about its tasks: the ErrDeadlock
// error of a virtual clock, and the idle report of a debug loop.

// A DeadlockError says why a loop under WithVirtualClock cannot go on: no
// task can make progress and nothing can wake the loop. It matches
// ErrDeadlock, and holds the stuck tasks, for code that reports them its
// own way (package sim groups them by host).
type DeadlockError struct {
	// Tasks are the live tasks, in creation order, as Loop.Tasks gives
	// them at the moment the loop found it could not go on.
	Tasks []TaskInfo
}

func (e *DeadlockError) Error() string {
	if len(e.Tasks) == 0 {
		return ErrDeadlock.Error() + ": nothing is scheduled and nothing can wake the loop"
	}
	return ErrDeadlock.Error() + ": no task can make progress and nothing can wake the loop (no callbacks, timers or executor work):" +
		indentDump(FormatTasks(e.Tasks))
}

// Is reports whether target is ErrDeadlock.
func (e *DeadlockError) Is(target error) bool { return target == ErrDeadlock }

// deadlock explains why a virtual-clock loop cannot go on.
func (l *Loop) deadlock() error {
	if l.live.n == 0 {
		return &DeadlockError{}
	}
	return &DeadlockError{Tasks: l.Tasks()}
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
func (l *Loop) describeTasks() string { return indentDump(FormatTasks(l.Tasks())) }

// indentDump indents a task dump for an error text.
func indentDump(dump string) string {
	dump = strings.TrimSuffix(dump, "\n")
	return "\n\t" + strings.ReplaceAll(dump, "\n", "\n\t")
}

package asyncio

import (
	"context"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"weak"
)

// An awaitKind says what a future stands for, so that a dump can say what a
// task suspended on it is waiting for.
type awaitKind uint8

const (
	awaitFuture awaitKind = iota // a plain Future
	awaitLock
	awaitEvent
	awaitCondition
	awaitSemaphore
	awaitQueueGet
	awaitQueuePut
	awaitExecutor
	awaitWait
	awaitGather
	awaitAsCompleted
	awaitGroup
)

var awaitNames = [...]string{
	awaitFuture:      "a future",
	awaitLock:        "Lock.Acquire",
	awaitEvent:       "Event.Wait",
	awaitCondition:   "Condition.Wait",
	awaitSemaphore:   "Semaphore.Acquire",
	awaitQueueGet:    "Queue.Get",
	awaitQueuePut:    "Queue.Put",
	awaitExecutor:    "executor work",
	awaitWait:        "Wait",
	awaitGather:      "Gather",
	awaitAsCompleted: "AsCompleted",
	awaitGroup:       "the tasks of its TaskGroup",
}

// TaskInfo describes a live task at the moment of a snapshot.
type TaskInfo struct {
	ID   uint64 `json:"id"`
	Name string `json:"name"`
	// Func is the task's function, e.g. "main.download".
	Func string `json:"func"`
	// State is "new" (not started), "ready" (scheduled to run), "running"
	// (its code runs now) or "suspended".
	State string `json:"state"`
	// Parent is the ID of the task that created it, or 0 for a main task.
	Parent uint64 `json:"parent,omitempty"`
	// Age is how long the task has lived, on the loop's clock.
	Age time.Duration `json:"age"`
	// Awaiting says what a suspended task waits for: "a future", "sleep
	// until 2s", "Queue.Get", "Lock.Acquire", "task n1", "executor work"…
	Awaiting string `json:"awaiting,omitempty"`
	// AwaitingTask is the ID of the task it awaits, if it awaits a task.
	AwaitingTask uint64 `json:"awaiting_task,omitempty"`
	// SuspendedAt and CreatedAt are source positions, "file:line"; they are
	// recorded only under WithDebug, since each costs a stack walk.
	SuspendedAt string `json:"suspended_at,omitempty"`
	CreatedAt   string `json:"created_at,omitempty"`
}

// Tasks returns a snapshot of the loop's live tasks in creation order. It
// must be called on the loop's goroutine, or while the loop is not running.
func (l *Loop) Tasks() []TaskInfo {
	now := l.Time()
	var infos []TaskInfo
	for t := l.live.first; t != nil; t = t.next {
		infos = append(infos, t.info(now))
	}
	return infos
}

// info describes t.
func (t *task) info(now time.Duration) TaskInfo {
	ti := TaskInfo{
		ID:     t.id,
		Name:   t.Name(),
		Func:   funcName(t.pc),
		State:  t.stateWord(),
		Parent: t.creator,
		Age:    now - t.born,
	}
	ti.Awaiting = t.awaiting()
	if w := t.waitingOn; w != nil && w.task != nil && t.sleep.index < 0 {
		ti.AwaitingTask = w.task.id
	}
	if x := t.extra.Load(); x != nil {
		ti.CreatedAt = x.created
		if ti.State == "suspended" {
			ti.SuspendedAt = x.suspendedAt
		}
	}
	return ti
}

// awaiting says what a suspended task waits for, or "".
func (t *task) awaiting() string {
	switch w := t.waitingOn; {
	case t.sleep.index >= 0:
		return fmt.Sprintf("sleep until %v", t.sleep.when)
	case w == nil:
		return ""
	case w.task != nil:
		return "task " + w.task.Name()
	}
	return awaitNames[t.waitingOn.kind]
}

func (t *task) stateWord() string {
	switch {
	case t.loop().current == t:
		return "running"
	case t.sleep.index >= 0, t.waitingOn != nil && t.waitingOn.state == statePending:
		return "suspended"
	case t.coro == nil && !t.inline:
		return "new"
	}
	return "ready"
}

// DumpTasks writes the loop's live tasks to w as a tree, each under the task
// that created it, with what each one waits for. It must be called on the
// loop's goroutine, or while the loop is not running. For example:
//
//	Task-1 main.main: suspended (age 3s), awaiting task n1 at main.go:21
//	└── n1 main.download: suspended (age 3s), awaiting Queue.Get at main.go:40
func (l *Loop) DumpTasks(w io.Writer) error {
	_, err := io.WriteString(w, FormatTasks(l.Tasks()))
	return err
}

// FormatTasks renders a snapshot as DumpTasks does.
func FormatTasks(infos []TaskInfo) string {
	alive := make(map[uint64]bool, len(infos))
	children := make(map[uint64][]TaskInfo)
	for _, ti := range infos {
		alive[ti.ID] = true
	}
	var roots []TaskInfo
	for _, ti := range infos {
		if ti.Parent != 0 && alive[ti.Parent] {
			children[ti.Parent] = append(children[ti.Parent], ti)
		} else {
			roots = append(roots, ti)
		}
	}
	var b strings.Builder
	var walk func(ti TaskInfo, prefix, branch string)
	walk = func(ti TaskInfo, prefix, branch string) {
		b.WriteString(prefix + branch + ti.line() + "\n")
		switch branch {
		case "├── ":
			prefix += "│   "
		case "└── ":
			prefix += "    "
		}
		kids := children[ti.ID]
		for i, kid := range kids {
			next := "├── "
			if i == len(kids)-1 {
				next = "└── "
			}
			walk(kid, prefix, next)
		}
	}
	for _, ti := range roots {
		walk(ti, "", "")
	}
	return b.String()
}

// line is a task's line in a dump.
func (ti TaskInfo) line() string {
	s := fmt.Sprintf("%s %s: %s (age %v)", ti.Name, ti.Func, ti.State, ti.Age.Round(time.Millisecond))
	if ti.Awaiting != "" {
		s += ", awaiting " + ti.Awaiting
	}
	if ti.SuspendedAt != "" {
		s += " at " + ti.SuspendedAt
	}
	return s
}

// The registry of loops, for debugging tools (package debughttp) that show
// every loop of a process. It is the package's one piece of process-wide
// state besides the default executor; it holds loops weakly, so a loop that
// is dropped without Close is still collected.
var registry struct {
	sync.Mutex
	next  uint64
	loops map[uint64]weak.Pointer[Loop]
}

func (l *Loop) register() {
	registry.Lock()
	defer registry.Unlock()
	if registry.loops == nil {
		registry.loops = make(map[uint64]weak.Pointer[Loop])
	}
	registry.next++
	l.id = registry.next
	registry.loops[l.id] = weak.Make(l)
	runtime.AddCleanup(l, unregister, l.id)
}

func unregister(id uint64) {
	registry.Lock()
	defer registry.Unlock()
	delete(registry.loops, id)
}

// Loops returns the loops of the process that are not closed, in the order
// they were made. It may be called from any goroutine; it is meant for
// debugging tools.
func Loops() []*Loop {
	registry.Lock()
	defer registry.Unlock()
	ids := slices.Sorted(maps.Keys(registry.loops))
	var ls []*Loop
	for _, id := range ids {
		if l := registry.loops[id].Value(); l != nil && !l.IsClosed() {
			ls = append(ls, l)
		}
	}
	return ls
}

// LoopInfo describes a loop at the moment of a snapshot.
type LoopInfo struct {
	// ID numbers the loops of the process in the order they were made.
	ID      uint64        `json:"id"`
	Running bool          `json:"running"`
	Virtual bool          `json:"virtual_clock,omitempty"`
	Time    time.Duration `json:"time"`
	// Tasks is the snapshot of Loop.Tasks, for a running loop.
	Tasks []TaskInfo `json:"tasks,omitempty"`
}

// ID returns the loop's number among the loops of the process, in the order
// they were made.
func (l *Loop) ID() uint64 { return l.id }

// Snapshot returns the state of the loop and its tasks. It may be called
// from any goroutine except the loop's own (a task uses Tasks instead): the
// tasks of a running loop are read on the loop's goroutine between two
// callbacks, so Snapshot waits for the loop to get there, at most until ctx
// is done. A loop stuck in a blocking call never gets there, and Snapshot
// then says so. A loop that is not running reports no tasks.
func (l *Loop) Snapshot(ctx context.Context) (LoopInfo, error) {
	info := LoopInfo{ID: l.id, Virtual: l.virtual, Time: l.Time()}
	if !l.running.Load() {
		return info, nil
	}
	got := make(chan []TaskInfo, 1)
	if err := l.CallSoonThreadsafe(func() { got <- l.Tasks() }); err != nil {
		return info, err
	}
	select {
	case info.Tasks = <-got:
		info.Running = true
		return info, nil
	case <-ctx.Done():
		return info, fmt.Errorf("asyncio: loop %d did not answer (%w): a callback or task step may be blocking it", l.id, ctx.Err())
	}
}

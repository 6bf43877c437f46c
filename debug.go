package asyncio

import (
	"context"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strconv"
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
	// until 2s", "sleep forever", "Queue.Get", "Lock.Acquire", "task n1",
	// "executor work"…
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
	s := l.capture(-1)
	defer s.release()
	return s.infos()
}

// A snapshot is what the loop's goroutine copies of its tasks. Taking one
// holds the loop, which is why it holds plain values only: no name is
// looked up, nothing is formatted and nothing is allocated per task, so
// that the copy costs little more than reading the task list. infos turns
// it into TaskInfos afterwards, on any goroutine.
type snapshot struct {
	time  time.Duration // the loop's time when it was taken
	total int           // live tasks, of which tasks holds the oldest
	tasks []taskRecord
}

// A taskRecord is what a snapshot copies of one task.
type taskRecord struct {
	id, creator uint64
	name        string // "" for the default name
	pc          uintptr
	born        time.Duration
	state       taskState
	wait        taskWait
	kind        awaitKind     // what the awaited future stands for
	queued      bool          // executor work that has not started
	label       string        // what the executor work is, if its executor says
	sleepUntil  time.Duration // for waitSleep
	awaitedID   uint64        // for waitTask
	awaitedName string        // for waitTask; "" for the default name
	created     string        // in debug mode
	suspendedAt string        // in debug mode
}

// A taskState is what TaskInfo.State says.
type taskState uint8

const (
	taskReady taskState = iota
	taskNew
	taskRunning
	taskSuspended
)

var taskStates = [...]string{taskReady: "ready", taskNew: "new", taskRunning: "running", taskSuspended: "suspended"}

// A taskWait says what kind of thing a task awaits.
type taskWait uint8

const (
	waitNothing taskWait = iota
	waitSleep
	waitTask
	waitFuture
)

// capture copies what a snapshot shows of the loop's n oldest live tasks,
// or of all of them if n < 0. It runs on the loop's goroutine. The caller
// hands the snapshot's records back with release once it is done with them.
func (l *Loop) capture(n int) *snapshot {
	s := &snapshot{time: l.Time(), total: l.live.n}
	if n < 0 || n > l.live.n {
		n = l.live.n
	}
	s.tasks = recordsOf(n)
	t := l.live.first
	for i := range s.tasks {
		t.record(&s.tasks[i])
		t = t.next
	}
	return s
}

// records keeps the records of a finished snapshot for the next one. With a
// great many tasks, allocating them is most of what a snapshot costs the
// loop: the copying itself is quick, but a large allocation is cleared, and
// charged its share of the garbage collector's work, on the spot.
var records sync.Pool // of *[]taskRecord

// recordsOf returns n records, reusing released ones if they are enough.
func recordsOf(n int) []taskRecord {
	if p, ok := records.Get().(*[]taskRecord); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]taskRecord, n)
}

// release hands the snapshot's records back for reuse.
func (s *snapshot) release() {
	if buf := s.tasks; cap(buf) > 0 {
		clear(buf) // so that the pool keeps no names alive
		records.Put(&buf)
	}
	s.tasks = nil
}

// record copies t into r.
func (t *task) record(r *taskRecord) {
	r.id, r.creator, r.name, r.pc, r.born = t.id, t.creator, t.name, t.pc, t.born
	r.state = t.state()
	t.recordWait(r)
	if x := t.extra.Load(); x != nil {
		r.created = x.created
		if r.state == taskSuspended {
			r.suspendedAt = x.suspendedAt
		}
	}
}

// recordWait copies into r what t awaits.
func (t *task) recordWait(r *taskRecord) {
	switch w := t.waitingOn; {
	case t.sleep.index >= 0:
		r.wait, r.sleepUntil = waitSleep, t.sleep.when
	case w == nil:
		r.wait = waitNothing
	default:
		if at, ok := w.(interface{ task() *task }); ok {
			a := at.task()
			r.wait, r.awaitedID, r.awaitedName = waitTask, a.id, a.name
			return
		}
		r.wait, r.kind = waitFuture, t.waitKind
		if q := executorWork(w.futBase()); q != nil {
			r.kind, r.queued, r.label = awaitExecutor, q.queued(), q.label()
		}
	}
}

// A queuer is the executor bridge's waker on a future of executor work,
// which knows whether the work has started and what it is (executor.go).
type queuer interface {
	queued() bool
	label() string
}

// executorWork returns the queuer of fb if fb is executor work, or nil.
// The bridge adds its waker as the future is made, before anyone can await
// it, and it stays until the future completes, so it is always the first:
// a look at one waker, not at all of them (a future that ten thousand tasks
// await would make a dump of them quadratic).
func executorWork(fb *futureBase) queuer {
	q, _ := fb.waiter.(queuer)
	return q
}

func (t *task) state() taskState {
	switch {
	case t.loop().current == t:
		return taskRunning
	case t.sleep.index >= 0, t.waitingOn != nil && !t.waitingOn.Done():
		return taskSuspended
	case t.coro == nil && !t.inline:
		return taskNew
	}
	return taskReady
}

// awaiting says what a suspended task waits for, or "".
func (t *task) awaiting() string {
	var r taskRecord
	t.recordWait(&r)
	return r.awaiting()
}

// infos turns the snapshot into TaskInfos.
func (s *snapshot) infos() []TaskInfo {
	if len(s.tasks) == 0 {
		return nil
	}
	infos := make([]TaskInfo, len(s.tasks))
	funcs := make(map[uintptr]string) // tasks are many, their functions few
	for i := range s.tasks {
		r := &s.tasks[i]
		fn, ok := funcs[r.pc]
		if !ok {
			fn = funcName(r.pc)
			funcs[r.pc] = fn
		}
		infos[i] = TaskInfo{
			ID:          r.id,
			Name:        taskName(r.name, r.id),
			Func:        fn,
			State:       taskStates[r.state],
			Parent:      r.creator,
			Age:         s.time - r.born,
			Awaiting:    r.awaiting(),
			SuspendedAt: r.suspendedAt,
			CreatedAt:   r.created,
		}
		if r.wait == waitTask {
			infos[i].AwaitingTask = r.awaitedID
		}
	}
	return infos
}

// awaiting is TaskInfo.Awaiting.
func (r *taskRecord) awaiting() string {
	switch r.wait {
	case waitSleep:
		if r.sleepUntil == never {
			return "sleep forever"
		}
		return fmt.Sprintf("sleep until %v", r.sleepUntil)
	case waitTask:
		return "task " + taskName(r.awaitedName, r.awaitedID)
	case waitFuture:
		switch {
		case r.label != "" && r.queued:
			return awaitNames[r.kind] + ": " + r.label + " (not started)"
		case r.label != "":
			return awaitNames[r.kind] + ": " + r.label
		case r.queued:
			return awaitNames[r.kind] + queuedNote
		}
		return awaitNames[r.kind]
	}
	return ""
}

// queuedNote marks executor work that waits for a worker in a dump.
const queuedNote = " (queued: all workers of its executor are busy)"

// taskName is what Task.Name returns for a task with the given name and ID.
func taskName(name string, id uint64) string {
	if name != "" {
		return name
	}
	return "Task-" + strconv.FormatUint(id, 10)
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
	for _, ti := range infos {
		alive[ti.ID] = true
	}
	// Indexes rather than copies of the TaskInfos: a dump may hold many.
	children := make(map[uint64][]int)
	var roots []int
	for i, ti := range infos {
		if ti.Parent != 0 && alive[ti.Parent] {
			children[ti.Parent] = append(children[ti.Parent], i)
		} else {
			roots = append(roots, i)
		}
	}
	var b strings.Builder
	b.Grow(100 * len(infos)) // a typical line's length: spares regrowing
	var walk func(i int, prefix, branch string)
	walk = func(i int, prefix, branch string) {
		ti := &infos[i]
		b.WriteString(prefix)
		b.WriteString(branch)
		ti.writeLine(&b)
		b.WriteByte('\n')
		switch branch {
		case "├── ":
			prefix += "│   "
		case "└── ":
			prefix += "    "
		}
		kids := children[ti.ID]
		for k, kid := range kids {
			next := "├── "
			if k == len(kids)-1 {
				next = "└── "
			}
			walk(kid, prefix, next)
		}
	}
	for _, i := range roots {
		walk(i, "", "")
	}
	return b.String()
}

// writeLine writes a task's line in a dump, without the newline.
func (ti *TaskInfo) writeLine(b *strings.Builder) {
	for _, s := range [...]string{ti.Name, " ", ti.Func, ": ", ti.State, " (age ", ti.Age.Round(time.Millisecond).String(), ")"} {
		b.WriteString(s)
	}
	if ti.Awaiting != "" {
		b.WriteString(", awaiting ")
		b.WriteString(ti.Awaiting)
	}
	if ti.SuspendedAt != "" {
		b.WriteString(" at ")
		b.WriteString(ti.SuspendedAt)
	}
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
	// Total counts the live tasks of a running loop. A snapshot limited by
	// SnapshotN holds only the oldest of them; Truncated says that it holds
	// fewer than Total.
	Total     int  `json:"total"`
	Truncated bool `json:"truncated,omitempty"`
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
//
// Callers who ask while a snapshot is being taken share it, so that many
// requests hold the loop no longer than one; each gets its own copy of the
// tasks. If every caller has given up (its ctx is done) before the loop gets
// to the snapshot, the loop skips it.
func (l *Loop) Snapshot(ctx context.Context) (LoopInfo, error) {
	return l.SnapshotN(ctx, -1)
}

// SnapshotN is Snapshot, but its LoopInfo holds at most the n oldest tasks
// of the loop, or all of them if n < 0; Total counts them all. What a
// snapshot holds the loop for grows with the tasks it holds, so a tool that
// may look at a loop with a great many tasks should limit them.
func (l *Loop) SnapshotN(ctx context.Context, n int) (LoopInfo, error) {
	info := LoopInfo{ID: l.id, Virtual: l.virtual, Time: l.Time()}
	if !l.IsRunning() {
		return info, nil
	}
	f := joinSnapshot(l, n)
	select {
	case <-f.done:
	case <-ctx.Done():
		f.leave()
		return info, fmt.Errorf("asyncio: loop %d did not answer (%w): a callback or task step may be blocking it", l.id, ctx.Err())
	}
	if f.err != nil {
		return info, f.err
	}
	info.Running = true
	info.Time = f.snap.time
	info.Total = f.snap.total
	info.Tasks = f.tasks()
	info.Truncated = len(info.Tasks) < info.Total
	return info, nil
}

// snapshots holds the snapshots that callers of SnapshotN wait for, one per
// loop and limit: the first caller asks the loop for it, later ones wait
// for the same. (golang.org/x/sync/singleflight does this, but is not a
// dependency, and could not skip a snapshot that nobody waits for anymore.)
var snapshots struct {
	sync.Mutex
	inFlight map[snapshotKey]*snapshotFlight
}

type snapshotKey struct {
	l *Loop
	n int // -1 for all tasks
}

// A snapshotFlight is a snapshot that callers wait for.
type snapshotFlight struct {
	key  snapshotKey
	done chan struct{} // closed once snap or err is set
	snap *snapshot
	err  error

	// Guarded by snapshots.Mutex.
	waiters int  // callers waiting; none left means the work is for nobody
	taken   bool // the loop has started to take it

	shared bool // by more than one caller, when the loop finished it
	once   sync.Once
	infos  []TaskInfo // made from snap once, for all the callers
}

// joinSnapshot returns the snapshot of l in flight for limit n, asking the
// loop for one if there is none, and counts the caller as its waiter.
func joinSnapshot(l *Loop, n int) *snapshotFlight {
	key := snapshotKey{l, max(n, -1)}
	snapshots.Lock()
	f := snapshots.inFlight[key]
	first := f == nil
	if first {
		f = &snapshotFlight{key: key, done: make(chan struct{})}
		if snapshots.inFlight == nil {
			snapshots.inFlight = make(map[snapshotKey]*snapshotFlight)
		}
		snapshots.inFlight[key] = f
	}
	f.waiters++
	snapshots.Unlock()
	if first {
		if err := l.CallSoonThreadsafe(f.take); err != nil {
			snapshots.Lock()
			f.forget()
			snapshots.Unlock()
			f.err = err
			close(f.done)
		}
	}
	return f
}

// take takes the snapshot, on the loop's goroutine, unless every caller has
// given up waiting for it.
func (f *snapshotFlight) take() {
	snapshots.Lock()
	f.taken = f.waiters > 0
	snapshots.Unlock()
	if !f.taken {
		return
	}
	f.snap = f.key.l.capture(f.key.n)
	// Callers who came while the loop copied the tasks get this snapshot;
	// those who come from now on ask for the next.
	snapshots.Lock()
	f.forget()
	f.shared = f.waiters > 1
	snapshots.Unlock()
	close(f.done)
}

// leave counts off a caller who gave up waiting. When the last one goes
// before the loop has started on the snapshot, the flight is forgotten, so
// that it does not keep a loop that may never run it from being collected;
// the loop will then skip it, and the next caller asks for a new one.
func (f *snapshotFlight) leave() {
	snapshots.Lock()
	defer snapshots.Unlock()
	f.waiters--
	if f.waiters == 0 && !f.taken {
		f.forget()
	}
}

// forget removes f from the snapshots in flight. snapshots must be locked.
func (f *snapshotFlight) forget() {
	if snapshots.inFlight[f.key] == f {
		delete(snapshots.inFlight, f.key)
	}
}

// tasks returns the caller's copy of the snapshot's tasks.
func (f *snapshotFlight) tasks() []TaskInfo {
	f.once.Do(func() {
		f.infos = f.snap.infos()
		f.snap.release()
	})
	if !f.shared {
		return f.infos // the one caller's own
	}
	return slices.Clone(f.infos)
}

package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// FuzzLoop decodes bytes into a program of tasks that sleep, await futures,
// resolve them, start, join and cancel each other, pass items through a
// queue, take a lock and wait for the first of two tasks; it runs the
// program on the loop and on a reference scheduler written as plainly as
// possible (below), and checks that both log the same outcome for every
// instruction, in the same order, and agree on whether the program
// deadlocks. The loop's speed-ups (the main task on the loop's goroutine,
// reused coroutines, a future's single-waiter slot) are exactly what the
// reference does not have. Run a longer search with:
//
//	go test -run '^$' -fuzz FuzzLoop -fuzztime 5m .

type opcode uint8

const (
	opSleep   opcode = iota // Sleep 0, 1 or 2 s
	opAwait                 // Await future arg
	opResolve               // SetResult on future arg, if pending
	opSpawn                 // start a task running script arg
	opJoin                  // Await task arg
	opCancel                // Cancel task arg
	opPut                   // PutNowait on the queue
	opGet                   // Get from the queue
	opLock                  // Acquire the lock
	opUnlock                // Release the lock, if this task holds it
	opWaitFC                // Wait(FirstCompleted) for two tasks
	numOps
)

type instr struct {
	op  opcode
	arg int
}

const (
	numScripts = 4
	numFutures = 3
	maxTasks   = 24
)

// A loopProgram is scripts[0] for the main task and three more that
// opSpawn starts. With again, a main task that deadlocks is unwound and a
// second main task, number secondMain, runs scripts[numScripts-1] on the
// same loop, among the tasks the first one left: what the first one waited
// for must not be handed to it once it is gone.
type loopProgram struct {
	scripts [numScripts][]instr
	again   bool
}

const secondMain = 99

func decodeLoopProgram(b []byte) loopProgram {
	var p loopProgram
	for i := 0; i+1 < len(b) && i < 2*48; i += 2 {
		s := int(b[i]>>4) % numScripts
		p.scripts[s] = append(p.scripts[s], instr{opcode(b[i]&0x0f) % numOps, int(b[i+1])})
	}
	p.again = len(b) > 0 && b[0]&0x80 != 0 // a bit the scripts do not use
	return p
}

// An outcome line is "task:pc:result".
func outcome(task, pc int, result string) string {
	return fmt.Sprintf("%d:%d:%s", task, pc, result)
}

// runLoopProgram runs p on the real loop and returns the log and whether
// the loop reported a deadlock.
func runLoopProgram(t *testing.T, p loopProgram) (log []string, deadlock bool) {
	var (
		futs  []*asyncio.Future[int]
		tasks []*asyncio.Task[int]
		queue asyncio.Queue[int]
		lock  asyncio.Lock
		owner int
	)
	var body func(id int, script []instr) func(context.Context) (int, error)
	body = func(id int, script []instr) func(context.Context) (int, error) {
		return func(ctx context.Context) (int, error) {
			for pc, in := range script {
				res, err := "ok", error(nil)
				switch in.op {
				case opSleep:
					err = asyncio.Sleep(ctx, time.Duration(in.arg%3)*time.Second)
				case opAwait:
					var v int
					v, err = asyncio.Await(ctx, futs[in.arg%numFutures])
					res = fmt.Sprint(v)
				case opResolve:
					if f := futs[in.arg%numFutures]; !f.Done() {
						f.SetResult(id*1000 + pc)
					} else {
						res = "skip"
					}
				case opSpawn:
					if len(tasks) < maxTasks {
						n := len(tasks) + 2
						tasks = append(tasks, asyncio.CreateTask(ctx, body(n, p.scripts[in.arg%numScripts])))
						res = fmt.Sprint(n)
					} else {
						res = "skip"
					}
				case opJoin:
					if len(tasks) == 0 || in.arg%len(tasks)+2 == id {
						res = "skip"
						break
					}
					var v int
					v, err = asyncio.Await(ctx, tasks[in.arg%len(tasks)])
					res = fmt.Sprint(v)
				case opCancel:
					if len(tasks) == 0 {
						res = "skip"
						break
					}
					res = fmt.Sprint(tasks[in.arg%len(tasks)].Cancel())
				case opPut:
					queue.PutNowait(id*1000 + pc)
				case opGet:
					var v int
					v, err = queue.Get(ctx)
					res = fmt.Sprint(v)
				case opLock:
					if err = lock.Acquire(ctx); err == nil {
						owner = id
					}
				case opUnlock:
					if lock.Locked() && owner == id {
						owner = 0
						lock.Release()
					} else {
						res = "skip"
					}
				case opWaitFC:
					if len(tasks) == 0 {
						res = "skip"
						break
					}
					a, b := tasks[in.arg%len(tasks)], tasks[(in.arg/7)%len(tasks)]
					var done []asyncio.Waiter
					done, _, err = asyncio.Wait(ctx, []asyncio.Waiter{a, b}, asyncio.FirstCompleted, 0)
					res = fmt.Sprint(len(done))
				}
				if err != nil {
					log = append(log, outcome(id, pc, "cancelled"))
					return 0, err
				}
				log = append(log, outcome(id, pc, res))
			}
			log = append(log, outcome(id, len(script), "return"))
			return id, nil
		}
	}
	main := func(ctx context.Context) (int, error) {
		for range numFutures {
			futs = append(futs, asyncio.CreateFuture[int](ctx))
		}
		return body(1, p.scripts[0])(ctx)
	}
	opts := []asyncio.Option{asyncio.WithVirtualClock(), asyncio.WithExceptionHandler(func(*asyncio.Exception) {})}
	if !p.again {
		_, err := asyncio.Run(main, opts...)
		return log, checkRunError(t, err)
	}
	// Run, by hand, with a second main task after a deadlock.
	l := asyncio.NewLoop(opts...)
	defer l.Close()
	_, err := asyncio.RunUntilComplete(l, main)
	if deadlock = checkRunError(t, err); deadlock {
		_, err = asyncio.RunUntilComplete(l, body(secondMain, p.scripts[numScripts-1]))
		if checkRunError(t, err) {
			log = append(log, "deadlock again")
		}
	}
	// What Run does at the end: cancel the tasks left and let them finish.
	var left []asyncio.Waiter
	for _, task := range tasks {
		if task.Cancel() {
			left = append(left, task)
		}
	}
	_, err = asyncio.RunUntilComplete(l, func(ctx context.Context) (int, error) {
		_, _, err := asyncio.Wait(ctx, left, asyncio.AllCompleted, 0)
		return 0, err
	})
	checkRunError(t, err)
	return log, deadlock
}

// checkRunError fails the test unless err is nil, a deadlock or a
// cancellation, and reports whether it is a deadlock.
func checkRunError(t *testing.T, err error) (deadlock bool) {
	if err != nil && !errors.Is(err, asyncio.ErrDeadlock) && !errors.Is(err, asyncio.ErrCancelled) {
		t.Fatalf("Run: %v", err)
	}
	return errors.Is(err, asyncio.ErrDeadlock)
}

func FuzzLoop(f *testing.F) {
	// A byte pair is (script<<4 | opcode, argument).
	seeds := [][]byte{
		{0x03, 1, 0x01, 0, 0x12, 0},                            // spawn; await a future it resolves
		{0x03, 1, 0x03, 1, 0x05, 0, 0x04, 1, 0x10, 1, 0x11, 1}, // spawn two, cancel one, join the other
		{0x03, 2, 0x07, 0, 0x26, 0, 0x26, 0, 0x07, 0},          // queue get and put
		{0x08, 0, 0x03, 3, 0x00, 0, 0x09, 0, 0x38, 0, 0x39, 0}, // lock hand-over
		{0x03, 1, 0x03, 2, 0x0a, 7, 0x10, 2, 0x20, 1},          // wait for the first of two
		{0x01, 0}, // deadlock on a future
		{0x03, 1, 0x03, 1, 0x00, 0, 0x05, 0, 0x05, 1, 0x02, 0, 0x11, 0}, // cancel awaiting tasks
		{0x03, 2, 0x03, 2, 0x07, 0, 0x27, 0, 0x25, 1, 0x26, 0},          // getters cancelled while items arrive
		{0x87, 0, 0x36, 0, 0x37, 0},                                     // main deadlocks in Get; the next main puts and gets
		{0x88, 0, 0x08, 0, 0x39, 0, 0x38, 0},                            // main deadlocks on its own lock; the next releases and takes it
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := decodeLoopProgram(b)
		got, gotDeadlock := runLoopProgram(t, p)
		want, wantDeadlock := newModel(p).run()
		if !slices.Equal(got, want) || gotDeadlock != wantDeadlock {
			t.Errorf("program %v\nloop      (deadlock %v): %s\nreference (deadlock %v): %s",
				p, gotDeadlock, strings.Join(got, " "), wantDeadlock, strings.Join(want, " "))
		}
	})
}

// The reference scheduler. It follows the documented semantics directly:
// a FIFO ready queue processed an iteration at a time, timers by deadline
// then sequence, futures that wake their waiters in order, asyncio's
// cancellation, and the queue and lock rules of the package. Tasks are
// interpreters of their scripts that stop at each suspension and are
// resumed with the outcome.

type mFuture struct {
	state  int // 0 pending, 1 cancelled, 2 finished
	value  int
	reason int // for wait-list futures: 1 granted
	wakers []mWaker
	task   *mTask // the task this is the future of
}

type mWaker interface{ wake(f *mFuture) }

type mTask struct {
	m          *model
	id         int
	script     []instr
	pc         int
	fut        *mFuture
	started    bool
	mustCancel bool
	waitingOn  *mFuture
	waitList   *[]*mFuture // the wait list it is on, if any
	cancels    int
	cancelling bool
	timer      *mTimer
	resume     func() (string, bool) // finishes the suspended instruction: result, cancelled
}

type mTimer struct {
	when, seq int
	task      *mTask
}

type model struct {
	p      loopProgram
	now    int // seconds
	seq    int
	ready  []*mTask
	todo   int // entries of the current iteration not yet run
	timers []*mTimer
	tasks  []*mTask // spawned, in order
	live   []*mTask // not done, in creation order
	futs   [numFutures]*mFuture
	log    []string
	// the queue
	items        []int
	getters      []*mFuture
	reservedGets int
	// the lock
	locked  bool
	owner   int
	lockers []*mFuture
}

func newModel(p loopProgram) *model {
	m := &model{p: p}
	for i := range m.futs {
		m.futs[i] = &mFuture{}
	}
	return m
}

func (f *mFuture) complete(state int) {
	f.state = state
	ws := f.wakers
	f.wakers = nil
	for _, w := range ws {
		w.wake(f)
	}
}

func (f *mFuture) removeWaker(w mWaker) {
	if i := slices.Index(f.wakers, w); i >= 0 {
		f.wakers = slices.Delete(f.wakers, i, i+1)
	}
}

// cancelAwaited cancels what a task awaits: a task is asked to stop, a
// future is cancelled.
func (f *mFuture) cancelAwaited() bool {
	if f.task != nil {
		return f.task.cancel()
	}
	if f.state != 0 {
		return false
	}
	f.complete(1)
	return true
}

func (t *mTask) wake(*mFuture) { t.m.ready = append(t.m.ready, t) }

func (t *mTask) cancel() bool {
	if t.fut.state != 0 {
		return false
	}
	t.cancels++
	switch {
	case t.waitingOn != nil && t.cancelling:
		// A cycle of tasks awaiting each other: detach and wake this one.
		t.waitingOn.removeWaker(t)
		t.m.ready = append(t.m.ready, t)
		t.mustCancel = true
	case t.waitingOn != nil && t.cancelAwaitedOnce():
	case t.timer != nil:
		t.m.timers = slices.DeleteFunc(t.m.timers, func(x *mTimer) bool { return x == t.timer })
		t.timer = nil
		t.m.ready = append(t.m.ready, t)
		t.mustCancel = true
	default:
		t.mustCancel = true
	}
	return true
}

func (t *mTask) cancelAwaitedOnce() bool {
	t.cancelling = true
	defer func() { t.cancelling = false }()
	return t.waitingOn.cancelAwaited()
}

// await suspends t on f, which is pending, and sets what resumes it.
func (t *mTask) await(f *mFuture, then func(cancelled bool) (string, bool)) {
	f.wakers = append(f.wakers, t)
	t.waitingOn = f
	if t.mustCancel && f.cancelAwaited() {
		t.mustCancel = false
	}
	t.resume = func() (string, bool) {
		t.waitingOn = nil
		cancelled := t.mustCancel
		t.mustCancel = false
		return then(cancelled)
	}
}

func (m *model) spawn(script []instr) *mTask {
	t := &mTask{m: m, id: len(m.tasks) + 2, script: script}
	t.fut = &mFuture{task: t}
	m.tasks = append(m.tasks, t)
	m.live = append(m.live, t)
	m.ready = append(m.ready, t)
	return t
}

// step runs t until it suspends or ends.
func (t *mTask) step() {
	m := t.m
	if t.fut.state != 0 {
		return
	}
	if !t.started {
		t.started = true
		if t.mustCancel {
			t.finish(1)
			return
		}
	} else if t.resume != nil {
		res, cancelled := t.resume()
		t.resume = nil
		if m.record(t, res, cancelled) {
			return
		}
	}
	for t.pc < len(t.script) {
		if !t.exec(t.script[t.pc]) {
			return // suspended
		}
	}
	m.log = append(m.log, outcome(t.id, len(t.script), "return"))
	t.fut.value = t.id
	t.finish(2)
}

// record logs the outcome of the instruction at t.pc and moves on; it
// reports whether the task ended.
func (m *model) record(t *mTask, res string, cancelled bool) bool {
	if cancelled {
		m.log = append(m.log, outcome(t.id, t.pc, "cancelled"))
		t.finish(1)
		return true
	}
	m.log = append(m.log, outcome(t.id, t.pc, res))
	t.pc++
	return false
}

func (t *mTask) finish(state int) {
	t.m.live = slices.DeleteFunc(t.m.live, func(x *mTask) bool { return x == t })
	t.fut.complete(state)
}

// exec runs one instruction; it returns false if the task suspended.
func (t *mTask) exec(in instr) bool {
	m := t.m
	done := func(res string) bool { return !m.record(t, res, false) }
	switch in.op {
	case opSleep:
		if d := in.arg % 3; d == 0 || t.mustCancel {
			m.ready = append(m.ready, t)
		} else {
			m.seq++
			t.timer = &mTimer{when: m.now + d, seq: m.seq, task: t}
			m.timers = append(m.timers, t.timer)
		}
		t.resume = func() (string, bool) {
			t.timer = nil
			cancelled := t.mustCancel
			t.mustCancel = false
			return "ok", cancelled
		}
		return false
	case opAwait:
		return t.awaitValue(m.futs[in.arg%numFutures])
	case opResolve:
		if f := m.futs[in.arg%numFutures]; f.state == 0 {
			f.value = t.id*1000 + t.pc
			f.complete(2)
			return done("ok")
		}
		return done("skip")
	case opSpawn:
		if len(m.tasks) >= maxTasks {
			return done("skip")
		}
		n := m.spawn(m.p.scripts[in.arg%numScripts])
		return done(fmt.Sprint(n.id))
	case opJoin:
		if len(m.tasks) == 0 || in.arg%len(m.tasks)+2 == t.id {
			return done("skip")
		}
		return t.awaitValue(m.tasks[in.arg%len(m.tasks)].fut)
	case opCancel:
		if len(m.tasks) == 0 {
			return done("skip")
		}
		return done(fmt.Sprint(m.tasks[in.arg%len(m.tasks)].cancel()))
	case opPut:
		m.items = append(m.items, t.id*1000+t.pc)
		m.wakeGetters()
		return done("ok")
	case opGet:
		return t.get()
	case opLock:
		return t.acquire()
	case opUnlock:
		if m.locked && m.owner == t.id {
			m.owner = 0
			m.locked = wakeFirst(m.lockers)
			return done("ok")
		}
		return done("skip")
	case opWaitFC:
		return t.waitFirst(in.arg)
	}
	panic("unknown op")
}

// awaitValue is Await on f: its value, or cancelled. It returns false if
// the task suspended.
func (t *mTask) awaitValue(f *mFuture) bool {
	if f.state != 0 {
		return t.futureOutcome(f)
	}
	t.await(f, func(cancelled bool) (string, bool) {
		if cancelled || f.state == 1 {
			return "", true
		}
		return fmt.Sprint(f.value), false
	})
	return false
}

// futureOutcome records the outcome of awaiting a future that is done.
func (t *mTask) futureOutcome(f *mFuture) bool {
	if f.state == 1 {
		t.m.record(t, "", true)
		return false
	}
	return !t.m.record(t, fmt.Sprint(f.value), false)
}

// wakeFirst grants the first pending wait-list future and reports whether
// there was one.
func wakeFirst(list []*mFuture) bool {
	for _, f := range list {
		if f.state == 0 {
			f.reason = 1
			f.complete(2)
			return true
		}
	}
	return false
}

// queued reports whether some wait-list future is not cancelled.
func queued(list []*mFuture) bool {
	return slices.ContainsFunc(list, func(f *mFuture) bool { return f.state != 1 })
}

func (m *model) wakeGetters() {
	for len(m.items)-m.reservedGets > 0 && wakeFirst(m.getters) {
		m.reservedGets++
	}
}

// waitOn puts t on a wait list with a new future, and resumes it with then.
func (t *mTask) waitOn(list *[]*mFuture, then func(granted, cancelled bool) (string, bool)) {
	f := &mFuture{}
	*list = append(*list, f)
	t.waitList = list
	t.await(f, func(cancelled bool) (string, bool) {
		*list = slices.DeleteFunc(*list, func(x *mFuture) bool { return x == f })
		t.waitList = nil
		granted := f.state == 2 && f.reason == 1
		return then(granted, cancelled || f.state == 1)
	})
}

func (t *mTask) get() bool {
	m := t.m
	if len(m.items)-m.reservedGets > 0 && !queued(m.getters) {
		v := m.items[0]
		m.items = m.items[1:]
		return !m.record(t, fmt.Sprint(v), false)
	}
	t.waitOn(&m.getters, func(granted, cancelled bool) (string, bool) {
		if granted {
			m.reservedGets--
		}
		if cancelled {
			m.wakeGetters()
			return "", true
		}
		v := m.items[0]
		m.items = m.items[1:]
		m.wakeGetters()
		return fmt.Sprint(v), false
	})
	return false
}

func (t *mTask) acquire() bool {
	m := t.m
	if !m.locked && !queued(m.lockers) {
		m.locked, m.owner = true, t.id
		return !m.record(t, "ok", false)
	}
	t.waitOn(&m.lockers, func(granted, cancelled bool) (string, bool) {
		if cancelled {
			if granted || !m.locked {
				m.locked = wakeFirst(m.lockers)
			}
			return "", true
		}
		m.owner = t.id
		return "ok", false
	})
	return false
}

// A firstWaiter is the waker of Wait(FirstCompleted).
type firstWaiter struct{ outer *mFuture }

func (w *firstWaiter) wake(*mFuture) {
	if w.outer.state == 0 {
		w.outer.complete(1)
	}
}

func (t *mTask) waitFirst(arg int) bool {
	m := t.m
	if len(m.tasks) == 0 {
		return !m.record(t, "skip", false)
	}
	fs := []*mFuture{m.tasks[arg%len(m.tasks)].fut, m.tasks[(arg/7)%len(m.tasks)].fut}
	if fs[0] == fs[1] {
		fs = fs[:1] // Wait takes a set: a task listed twice is one waiter
	}
	count := func() string {
		n := 0
		for _, f := range fs {
			if f.state != 0 {
				n++
			}
		}
		return fmt.Sprint(n)
	}
	if slices.ContainsFunc(fs, func(f *mFuture) bool { return f.state != 0 }) {
		return !m.record(t, count(), false)
	}
	w := &firstWaiter{outer: &mFuture{}}
	for _, f := range fs {
		f.wakers = append(f.wakers, w)
	}
	cancels := t.cancels
	t.await(w.outer, func(cancelled bool) (string, bool) {
		for _, f := range fs {
			if f.state == 0 {
				f.removeWaker(w)
			}
		}
		return count(), cancelled || t.cancels != cancels
	})
	return false
}

// run runs the program as Run does: the main task (and, if the program
// asks, a second one after a deadlock), then the cancellation of what is
// left. It returns the log and whether the first main task deadlocked.
func (m *model) run() ([]string, bool) {
	deadlock := m.runMain(1, m.p.scripts[0])
	if deadlock && m.p.again && m.runMain(secondMain, m.p.scripts[numScripts-1]) {
		m.log = append(m.log, "deadlock again")
	}
	for _, t := range slices.Clone(m.live) {
		t.cancel()
	}
	m.loop(func() bool { return len(m.live) == 0 })
	return m.log, deadlock
}

// runMain runs a main task until it ends, or until nothing can happen; then
// it unwinds it, taking it out of the wait list it is on, and reports the
// deadlock.
func (m *model) runMain(id int, script []instr) (deadlock bool) {
	main := &mTask{m: m, id: id, script: script}
	main.fut = &mFuture{task: main}
	m.live = append(m.live, main)
	m.ready = append(m.ready, main)
	deadlock = !m.loop(func() bool { return main.fut.state != 0 })
	if deadlock {
		main.resume = nil
		if l := main.waitList; l != nil {
			*l = slices.DeleteFunc(*l, func(f *mFuture) bool { return f == main.waitingOn })
		}
		main.finish(2) // unwound
	}
	return deadlock
}

// loop runs iterations until done reports true between two entries; it
// returns false if no progress is possible first. Like the loop, it runs
// the entries that were ready when an iteration began (todo of them), and
// moves due timers to the ready queue when a new iteration begins.
func (m *model) loop(done func() bool) bool {
	for !done() {
		if m.todo == 0 {
			if len(m.ready) == 0 {
				if len(m.timers) == 0 {
					return false
				}
				m.now = slices.MinFunc(m.timers, compareTimers).when
			}
			slices.SortStableFunc(m.timers, compareTimers)
			for len(m.timers) > 0 && m.timers[0].when <= m.now {
				m.ready = append(m.ready, m.timers[0].task)
				m.timers = m.timers[1:]
			}
			m.todo = len(m.ready)
		}
		for m.todo > 0 {
			t := m.ready[0]
			m.ready = m.ready[1:]
			m.todo--
			t.step()
			if done() {
				return true
			}
		}
	}
	return true
}

func compareTimers(a, b *mTimer) int {
	if a.when != b.when {
		return a.when - b.when
	}
	return a.seq - b.seq
}

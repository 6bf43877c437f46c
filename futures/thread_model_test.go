package futures_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/goasyncio/asyncio/futures"
)

// FuzzThreadPool decodes bytes into a sequence of operations on a
// ThreadPoolExecutor (submitting functions that wait on a gate the test
// opens and then return a value or an error, panic or call
// runtime.Goexit; opening gates; cancelling futures; Shutdown(false),
// ShutdownNow and Shutdown(true); Wait and AsCompleted) and checks after
// each one that every future is in the state a reference model of the
// documented behaviour predicts: work runs at once while a worker is free,
// workers start one per Submit that finds none idle up to the maximum,
// queued work starts first in, first out, a cancelled future's function
// never runs, shut-down pools refuse work with ErrShutdown, and
// Shutdown(true) returns only once all the work submitted before is done.
// Each future's result, its done callbacks and the number of functions
// running at once are checked too.
//
// The test is deterministic: a function runs until its gate opens, and
// after each operation the test waits, by the futures' own Result, for
// every function whose gate is open, so that the pool is at rest (every
// worker idle or blocked on a gate) before the next operation. No check
// depends on timing. Run a longer search with:
//
//	go test -run '^$' -fuzz FuzzThreadPool -fuzztime 2m ./futures
func FuzzThreadPool(f *testing.F) {
	// The first byte sets the pool's workers (b%4 + 1); each pair after it
	// is (operation, argument).
	seeds := [][]byte{
		{1, opSubmit, 0, opSubmit, 1, opSubmit, 2, opRelease, 0, opRelease, 2, opRelease, 1},              // values and errors, queued work
		{0, opSubmit, 0, opSubmit, 0, opSubmit, 0, opCancel, 1, opRelease, 0, opCancel, 2},                // cancel queued and running work
		{2, opSubmit, 4, opSubmit, 6, opSubmit, 7, opSubmit, 5, opSubmit, 0, opRelease, 4},                // open gates: value, panic, Goexit, error
		{1, opSubmit, 0, opSubmit, 0, opSubmit, 1, opShutdown, 0, opSubmit, 0, opRelease, 0},              // Shutdown(false) runs queued work
		{1, opSubmit, 0, opSubmit, 2, opSubmit, 3, opShutdownNow, 0, opSubmit, 4, opRelease, 0},           // ShutdownNow cancels queued work
		{1, opSubmit, 0, opSubmit, 1, opShutdownWait, 0, opRelease, 1, opRelease, 0},                      // Shutdown(true) waits for both
		{0, opSubmit, 0, opShutdownWait, 0, opSubmit, 0, opRelease, 0},                                    // Submit while Shutdown(true) waits
		{2, opShutdownWait, 0, opSubmit, 4},                                                               // Shutdown(true) of an idle pool
		{1, opSubmit, 0, opSubmit, 5, opWait, 3, opWait, 1, opWait, 2, opRelease, 0, opWait, 26},          // Wait: met now, and later
		{0, opSubmit, 1, opSubmit, 0, opAsCompleted, 0, opRelease, 0, opAsCompleted, 129},                 // AsCompleted: now, and later
		{3, opSubmit, 0, opSubmit, 0, opSubmit, 0, opSubmit, 0, opSubmit, 4, opRelease, 1, opCancel, 4},   // four workers
		{0, opSubmit, 7, opSubmit, 4, opSubmit, 6, opSubmit, 5},                                           // one worker survives Goexit and panic
		{0, opSubmit, 0, opSubmit, 0, opSubmit, 0, opSubmit, 0, opRelease, 0, opRelease, 1, opRelease, 2}, // queued work starts in order
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := decodePoolProgram(b)
		r := &poolRun{t: t, pool: futures.NewThreadPool(p.workers), max: p.workers}
		t.Cleanup(r.cleanup)
		for i, in := range p.instrs {
			r.exec(in)
			r.settle()
			r.checkStates(fmt.Sprintf("after instruction %d (%v)", i, in))
		}
		r.finish()
	})
}

// Operations of FuzzThreadPool.
const (
	opSubmit       = iota // Submit: arg%4 is the function's kind; arg&4: its gate is open from the start
	opRelease             // open the gate of function arg
	opCancel              // Cancel the future of function arg
	opShutdown            // Shutdown(false)
	opShutdownNow         // ShutdownNow
	opShutdownWait        // Shutdown(true), on a goroutine of its own if it must wait
	opWait                // Wait for two futures chosen by arg, with the condition arg%3+1
	opAsCompleted         // AsCompleted of three futures chosen by arg; arg&128: in full, on a goroutine
	numPoolOps
)

// What a submitted function does once its gate opens.
const (
	kindValue = iota
	kindError
	kindPanic
	kindGoexit
	numKinds
)

const (
	maxPoolInstrs = 48
	maxPoolJobs   = 24
)

type poolInstr struct{ op, arg int }

func (in poolInstr) String() string {
	names := [...]string{"submit", "release", "cancel", "shutdown", "shutdownNow", "shutdownWait", "wait", "asCompleted"}
	return fmt.Sprintf("%s %d", names[in.op], in.arg)
}

type poolProgram struct {
	workers int
	instrs  []poolInstr
}

func decodePoolProgram(b []byte) poolProgram {
	p := poolProgram{workers: 1}
	if len(b) == 0 {
		return p
	}
	p.workers = int(b[0])%4 + 1
	for i := 1; i+1 < len(b) && len(p.instrs) < maxPoolInstrs; i += 2 {
		p.instrs = append(p.instrs, poolInstr{int(b[i]) % numPoolOps, int(b[i+1])})
	}
	return p
}

// A poolJob is one submitted function, with the model's prediction of its
// future.
type poolJob struct {
	id     int
	kind   int
	gate   chan struct{}
	opened bool
	err    error // what a kindError function returns
	fut    *futures.Future[int]

	ran       atomic.Bool  // the function was called
	callbacks atomic.Int32 // its done callback ran

	// The model.
	state    futures.State
	shutdown bool // submitted after a shutdown
}

// fn returns the function submitted for j.
func (j *poolJob) fn(r *poolRun) func() (int, error) {
	return func() (int, error) {
		j.ran.Store(true)
		n := r.active.Add(1)
		defer r.active.Add(-1)
		for m := r.maxActive.Load(); n > m && !r.maxActive.CompareAndSwap(m, n); m = r.maxActive.Load() {
		}
		<-j.gate
		switch j.kind {
		case kindError:
			return 0, j.err
		case kindPanic:
			panic(j.panicValue())
		case kindGoexit:
			runtime.Goexit()
		}
		return j.value(), nil
	}
}

func (j *poolJob) value() int         { return 1000 + j.id }
func (j *poolJob) panicValue() string { return fmt.Sprintf("job %d panics", j.id) }

// open opens j's gate, once.
func (j *poolJob) open() {
	if !j.opened {
		j.opened = true
		close(j.gate)
	}
}

// poolRun runs one program on a real pool and on the model side by side.
type poolRun struct {
	t    *testing.T
	pool *futures.ThreadPoolExecutor
	jobs []*poolJob

	active, maxActive atomic.Int32 // functions running now, and at most

	background sync.WaitGroup // Shutdown(true), Wait and AsCompleted that wait

	// The model: workers started, the functions that hold one, in the
	// order they started, and the queue, cancelled futures included.
	max     int
	live    int
	running []*poolJob
	queue   []*poolJob
	closed  bool
}

func (r *poolRun) exec(in poolInstr) {
	switch in.op {
	case opSubmit:
		r.submit(in.arg)
	case opRelease:
		if j := r.pick(in.arg); j != nil {
			j.open()
		}
	case opCancel:
		if j := r.pick(in.arg); j != nil {
			r.cancel(j)
		}
	case opShutdown:
		r.closed = true
		r.returns("Shutdown(false)", func() { r.pool.Shutdown(false) })
	case opShutdownNow:
		r.shutdownNow()
	case opShutdownWait:
		r.shutdownWait()
	case opWait:
		r.wait(in.arg)
	case opAsCompleted:
		r.asCompleted(in.arg)
	}
}

// pick returns the job that arg names, or nil if there is none yet.
func (r *poolRun) pick(arg int) *poolJob {
	if len(r.jobs) == 0 {
		return nil
	}
	return r.jobs[arg%len(r.jobs)]
}

func (r *poolRun) submit(arg int) {
	if len(r.jobs) >= maxPoolJobs {
		return
	}
	j := &poolJob{id: len(r.jobs), kind: arg % numKinds, gate: make(chan struct{})}
	j.err = fmt.Errorf("job %d fails", j.id)
	r.jobs = append(r.jobs, j)
	if arg&numKinds != 0 {
		j.open()
	}
	j.fut = futures.Submit(r.pool, j.fn(r))
	j.fut.AddDoneCallback(func(f *futures.Future[int]) {
		if s := f.State(); s != futures.Finished && s != futures.Cancelled {
			r.t.Errorf("job %d: done callback called in state %v", j.id, s)
		}
		j.callbacks.Add(1)
	})
	switch {
	case r.closed:
		j.state, j.shutdown = futures.Finished, true
	case r.live > len(r.running): // a worker is idle
		r.start(j)
	case r.live < r.max:
		r.live++
		r.start(j)
	default:
		j.state = futures.Pending
		r.queue = append(r.queue, j)
	}
	// Submit returns a running future when a worker is free; one whose gate
	// is open may have finished already.
	if s := j.fut.State(); s != j.state && !(j.opened && j.state == futures.Running && s == futures.Finished) {
		r.t.Errorf("job %d is %v when Submit returns, want %v", j.id, s, j.state)
	}
}

func (r *poolRun) start(j *poolJob) {
	j.state = futures.Running
	r.running = append(r.running, j)
}

// settle waits for the functions whose gates are open, one after the
// other; as each ends, its worker takes the oldest queued job that is not
// cancelled. Which worker takes which job is up to the pool, but which
// jobs are running once all open gates are passed is not: the queue is
// first in, first out.
func (r *poolRun) settle() {
	for {
		i := slices.IndexFunc(r.running, func(j *poolJob) bool { return j.opened })
		if i < 0 {
			return
		}
		j := r.running[i]
		r.running = slices.Delete(r.running, i, i+1)
		j.state = futures.Finished
		if _, err := j.fut.ResultTimeout(hangLimit); errors.Is(err, futures.ErrTimeout) {
			r.t.Fatalf("job %d, its gate open, did not finish in %v", j.id, hangLimit)
		}
		r.startNext()
	}
}

// startNext gives a worker that has become free the oldest queued job that
// is not cancelled, if there is one.
func (r *poolRun) startNext() {
	for len(r.queue) > 0 {
		j := r.queue[0]
		r.queue = r.queue[1:]
		if j.state == futures.Pending {
			r.start(j)
			return
		}
	}
}

// cancel cancels j's future. Cancel succeeds on a pending or cancelled
// future, and runs the done callbacks before it returns.
func (r *poolRun) cancel(j *poolJob) {
	want := j.state == futures.Pending || j.state == futures.Cancelled
	if got := j.fut.Cancel(); got != want {
		r.t.Errorf("Cancel of job %d (%v) = %v, want %v", j.id, j.state, got, want)
	}
	if j.state == futures.Pending {
		j.state = futures.Cancelled
		if n := j.callbacks.Load(); n != 1 {
			r.t.Errorf("job %d: %d done callbacks when Cancel returned, want 1", j.id, n)
		}
	}
}

// shutdownNow cancels the queued work, whose done callbacks run before
// ShutdownNow returns.
func (r *poolRun) shutdownNow() {
	r.closed = true
	r.returns("ShutdownNow", r.pool.ShutdownNow)
	for _, j := range r.queue {
		if j.state == futures.Pending {
			j.state = futures.Cancelled
			if n := j.callbacks.Load(); n != 1 {
				r.t.Errorf("job %d: %d done callbacks when ShutdownNow returned, want 1", j.id, n)
			}
		}
	}
	r.queue = nil
}

// shutdownWait calls Shutdown(true). When it returns, every job submitted
// before it must be done, its done callback run, as all the workers that
// run callbacks have exited. If the model has work left, Shutdown(true)
// waits on a goroutine of its own while the program goes on.
func (r *poolRun) shutdownWait() {
	r.closed = true
	before := slices.Clone(r.jobs)
	check := func() {
		for _, j := range before {
			if !j.fut.Done() || j.callbacks.Load() != 1 {
				r.t.Errorf("Shutdown(true) returned with job %d %v, %d done callbacks", j.id, j.fut.State(), j.callbacks.Load())
			}
		}
	}
	if len(r.running) == 0 && !slices.ContainsFunc(r.queue, func(j *poolJob) bool { return j.state == futures.Pending }) {
		r.returns("Shutdown(true) with no work left", func() { r.pool.Shutdown(true) })
		check()
		return
	}
	r.inBackground(func() {
		r.pool.Shutdown(true)
		check()
	})
	// The operations that follow expect the pool closed.
	deadline := time.Now().Add(hangLimit)
	for !futures.IsShutdown(r.pool) {
		if time.Now().After(deadline) {
			r.t.Fatalf("Shutdown(true) did not close the pool in %v", hangLimit)
		}
		runtime.Gosched()
	}
}

// choose returns n jobs that arg names, perhaps the same one twice.
func (r *poolRun) choose(arg, n int) []*futures.Future[int] {
	var fs []*futures.Future[int]
	for i := range n {
		fs = append(fs, r.jobs[(arg>>(2*i))%len(r.jobs)].fut)
	}
	return fs
}

// job returns the job whose future f is.
func (r *poolRun) job(f *futures.Future[int]) *poolJob {
	return r.jobs[slices.IndexFunc(r.jobs, func(j *poolJob) bool { return j.fut == f })]
}

// met reports whether the futures fs satisfy Wait's condition when, done
// and failed telling which are done and which finished with an error.
func met(fs []*futures.Future[int], when futures.ReturnWhen, done func(*futures.Future[int]) bool, failed func(*futures.Future[int]) bool) bool {
	all := !slices.ContainsFunc(fs, func(f *futures.Future[int]) bool { return !done(f) })
	switch when {
	case futures.FirstCompleted:
		return slices.ContainsFunc(fs, done)
	case futures.FirstException:
		return all || slices.ContainsFunc(fs, failed)
	}
	return all
}

// wait calls Wait on two futures. If the model says its condition is met,
// Wait returns at once with the futures split as the model says;
// otherwise it waits on a goroutine of its own, and must return with the
// condition met.
func (r *poolRun) wait(arg int) {
	if len(r.jobs) == 0 {
		return
	}
	when := futures.ReturnWhen(arg%3 + 1)
	fs := r.choose(arg/3, 2)
	modelDone := func(f *futures.Future[int]) bool {
		s := r.job(f).state
		return s == futures.Finished || s == futures.Cancelled
	}
	modelFailed := func(f *futures.Future[int]) bool {
		j := r.job(f)
		return j.state == futures.Finished && (j.kind != kindValue || j.shutdown)
	}
	if met(fs, when, modelDone, modelFailed) {
		var done, notDone []*futures.Future[int]
		r.returns("Wait", func() { done, notDone = futures.Wait(fs, 0, when) })
		wantDone := slices.DeleteFunc(slices.Clone(fs), func(f *futures.Future[int]) bool { return !modelDone(f) })
		wantNotDone := slices.DeleteFunc(slices.Clone(fs), modelDone)
		if !slices.Equal(done, wantDone) || !slices.Equal(notDone, wantNotDone) {
			r.t.Errorf("Wait(%v, %v) = %v, %v; want %v, %v", r.ids(fs), when, r.ids(done), r.ids(notDone), r.ids(wantDone), r.ids(wantNotDone))
		}
		return
	}
	r.inBackground(func() {
		done, notDone := futures.Wait(fs, 0, when)
		isDone := func(f *futures.Future[int]) bool { return slices.Contains(done, f) }
		failed := func(f *futures.Future[int]) bool {
			_, err := f.Result()
			return f.State() == futures.Finished && err != nil
		}
		if len(done)+len(notDone) != len(fs) || !met(fs, when, isDone, failed) {
			r.t.Errorf("Wait(%v, %v) returned %v, %v: condition not met", r.ids(fs), when, r.ids(done), r.ids(notDone))
		}
	})
}

// asCompleted ranges over AsCompleted for three futures with a cancelled
// context: it must yield exactly those done, in the order given, each
// once. With arg&128 it also ranges over them in full on a goroutine of
// its own: each must come once, done.
func (r *poolRun) asCompleted(arg int) {
	if len(r.jobs) == 0 {
		return
	}
	fs := r.choose(arg, 3)
	var want []*futures.Future[int]
	for _, f := range fs {
		if s := r.job(f).state; (s == futures.Finished || s == futures.Cancelled) && !slices.Contains(want, f) {
			want = append(want, f)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var got []*futures.Future[int]
	r.returns("AsCompleted", func() { got = slices.Collect(futures.AsCompleted(ctx, fs)) })
	if !slices.Equal(got, want) {
		r.t.Errorf("AsCompleted(cancelled ctx, %v) yields %v, want %v", r.ids(fs), r.ids(got), r.ids(want))
	}
	if arg&128 == 0 {
		return
	}
	r.inBackground(func() {
		var got []*futures.Future[int]
		for f := range futures.AsCompleted(context.Background(), fs) {
			if !f.Done() || slices.Contains(got, f) {
				r.t.Errorf("AsCompleted(%v) yields job %d, done %v, after %v", r.ids(fs), r.job(f).id, f.Done(), r.ids(got))
			}
			got = append(got, f)
		}
		if distinct := len(slices.Compact(slices.Sorted(slices.Values(r.ids(fs))))); len(got) != distinct {
			r.t.Errorf("AsCompleted(%v) yields %v", r.ids(fs), r.ids(got))
		}
	})
}

func (r *poolRun) ids(fs []*futures.Future[int]) []int {
	var ids []int
	for _, f := range fs {
		ids = append(ids, r.job(f).id)
	}
	return ids
}

// inBackground runs fn on a goroutine that finish waits for.
func (r *poolRun) inBackground(fn func()) {
	r.background.Add(1)
	go func() {
		defer r.background.Done()
		fn()
	}()
}

// returns calls fn, which must return without waiting for any function in
// the pool, and fails the test if it does not return within hangLimit.
func (r *poolRun) returns(what string, fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	if !waitChan(done) {
		r.t.Fatalf("%s did not return in %v", what, hangLimit)
	}
}

// checkStates compares every future's state with the model's.
func (r *poolRun) checkStates(when string) {
	for _, j := range r.jobs {
		if s := j.fut.State(); s != j.state {
			r.t.Fatalf("%s: job %d is %v, want %v", when, j.id, s, j.state)
		}
	}
	if n := futures.LiveWorkers(r.pool); n != r.live {
		r.t.Fatalf("%s: %d workers started, want %d", when, n, r.live)
	}
}

// finish opens every gate, shuts the pool down with Shutdown(true), lets
// the background calls end, and checks every job's outcome.
func (r *poolRun) finish() {
	for _, j := range r.jobs {
		j.open()
	}
	r.settle()
	r.checkStates("once every gate is open")
	r.closed = true
	r.returns("the last Shutdown(true)", func() { r.pool.Shutdown(true) })
	done := make(chan struct{})
	go func() {
		r.background.Wait()
		close(done)
	}()
	if !waitChan(done) {
		r.t.Fatalf("a Shutdown(true), Wait or AsCompleted did not return in %v with every job done", hangLimit)
	}
	for _, j := range r.jobs {
		r.checkOutcome(j)
	}
	if n := r.maxActive.Load(); int(n) > r.max {
		r.t.Errorf("%d functions ran at once on a pool of %d workers", n, r.max)
	}
}

// checkOutcome checks the result of j's future, that its function ran
// if and only if it was started, and that its done callback ran once.
func (r *poolRun) checkOutcome(j *poolJob) {
	v, err := j.fut.Result()
	if n := j.callbacks.Load(); n != 1 {
		r.t.Errorf("job %d: done callback ran %d times, want once", j.id, n)
	}
	ran := j.state == futures.Finished && !j.shutdown
	if j.ran.Load() != ran {
		r.t.Errorf("job %d (%v, shut down %v): function called %v", j.id, j.state, j.shutdown, j.ran.Load())
	}
	var pe *futures.PanicError
	switch {
	case j.state == futures.Cancelled:
		if !errors.Is(err, futures.ErrCancelled) {
			r.t.Errorf("cancelled job %d: Result() = %v, %v", j.id, v, err)
		}
	case j.shutdown:
		if err != futures.ErrShutdown {
			r.t.Errorf("job %d submitted after shutdown: Result() = %v, %v", j.id, v, err)
		}
	case j.kind == kindValue:
		if v != j.value() || err != nil {
			r.t.Errorf("job %d: Result() = %v, %v; want %d, nil", j.id, v, err, j.value())
		}
	case j.kind == kindError:
		if err != j.err {
			r.t.Errorf("job %d: Result() = %v, %v; want its error", j.id, v, err)
		}
	case j.kind == kindPanic:
		if !errors.As(err, &pe) || pe.Value != j.panicValue() {
			r.t.Errorf("job %d: Result() = %v, %v; want its panic", j.id, v, err)
		}
	case j.kind == kindGoexit:
		if err == nil || errors.As(err, &pe) || !strings.Contains(err.Error(), "Goexit") {
			r.t.Errorf("job %d: Result() = %v, %v; want an error about runtime.Goexit", j.id, v, err)
		}
	}
}

// cleanup lets the goroutines of a run that failed end by themselves: it
// does not wait for them, since what failed may be a hang.
func (r *poolRun) cleanup() {
	for _, j := range r.jobs {
		j.open()
	}
	r.pool.Shutdown(false)
}

// waitChan waits for ch to be closed, and reports false if that takes
// longer than hangLimit.
func waitChan(ch <-chan struct{}) bool {
	timer := time.NewTimer(hangLimit)
	defer timer.Stop()
	select {
	case <-ch:
		return true
	case <-timer.C:
		return false
	}
}

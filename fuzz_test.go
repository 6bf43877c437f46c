package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// The fuzz targets decode bytes into a program of operations on a queue or a
// semaphore, run it on a loop with tasks that block, get cancelled and are
// woken, log what each operation returned, and check the log against a
// simple sequential model. `go test` runs the seed corpus; run a longer
// search with, for example:
//
//	go test -run '^$' -fuzz FuzzQueue -fuzztime 5m .

// A qEvent is one logged queue operation.
type qEvent struct {
	kind string // "getCall", "get", "putCall", "put", "getNowait", "putNowait", "shutdown", "cancel"
	task int
	v    int
	err  error
}

// queueProgram runs prog against a queue holding at most maxsize items (0:
// unbounded) and returns the log, the tasks, and what was left in the queue.
func queueProgram(t *testing.T, maxsize int, prog []byte) (log []qEvent, left []int) {
	run(t, func(ctx context.Context) (int, error) {
		q := asyncio.NewQueue[int](maxsize)
		var tasks []*asyncio.Task[int]
		next := 0
		for i := 0; i < len(prog); i++ {
			op := prog[i]
			switch op % 8 {
			case 0:
				id := len(tasks)
				tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
					log = append(log, qEvent{kind: "getCall", task: id})
					v, err := q.Get(ctx)
					log = append(log, qEvent{kind: "get", task: id, v: v, err: err})
					return v, err
				}))
			case 1:
				id, v := len(tasks), next
				next++
				tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
					log = append(log, qEvent{kind: "putCall", task: id, v: v})
					err := q.Put(ctx, v)
					log = append(log, qEvent{kind: "put", task: id, v: v, err: err})
					return v, err
				}))
			case 2:
				if len(tasks) > 0 && i+1 < len(prog) {
					i++
					k := int(prog[i]) % len(tasks)
					if tasks[k].Cancel() {
						log = append(log, qEvent{kind: "cancel", task: k})
					}
				}
			case 3:
				err := q.PutNowait(next)
				log = append(log, qEvent{kind: "putNowait", task: -1, v: next, err: err})
				next++
			case 4:
				v, err := q.GetNowait()
				log = append(log, qEvent{kind: "getNowait", task: -1, v: v, err: err})
			case 7:
				if op>>3%8 == 0 {
					immediate := op>>6 == 1
					q.Shutdown(immediate)
					log = append(log, qEvent{kind: "shutdown", v: map[bool]int{false: 0, true: 1}[immediate]})
					continue
				}
				fallthrough
			default:
				asyncio.Sleep(ctx, 0)
			}
		}
		settle(ctx)
		checkQueueLiveness(t, q, tasks, log)
		for id, task := range tasks {
			if task.Cancel() {
				log = append(log, qEvent{kind: "cancel", task: id})
			}
		}
		settle(ctx)
		for _, task := range tasks {
			if !task.Done() {
				t.Errorf("task %v is still pending after being cancelled", task)
			}
			task.Result() // its outcome is in the log
		}
		for q.Len() > 0 {
			v, _ := q.GetNowait()
			left = append(left, v)
		}
		return 0, nil
	})
	return log, left
}

// settle lets every task that can run, run, until nothing changes: under
// the virtual clock a Sleep ends only once the loop is idle.
func settle(ctx context.Context) {
	asyncio.Sleep(ctx, time.Second)
}

// checkQueueLiveness checks that no task waits in vain: a getter while the
// queue holds items, or a putter while it has room.
func checkQueueLiveness(t *testing.T, q *asyncio.Queue[int], tasks []*asyncio.Task[int], log []qEvent) {
	t.Helper()
	for id, task := range tasks {
		if task.Done() {
			continue
		}
		called := ""
		for _, e := range log {
			if e.task == id && (e.kind == "getCall" || e.kind == "putCall") {
				called = e.kind
			}
		}
		switch {
		case called == "getCall" && q.Len() > 0:
			t.Errorf("getter %d waits while the queue holds %d items: %v", id, q.Len(), q)
		case called == "putCall" && !q.Full():
			t.Errorf("putter %d waits while the queue has room: %v", id, q)
		}
	}
}

// checkQueueLog replays the successful operations on a FIFO model and checks
// every result against it.
func checkQueueLog(t *testing.T, maxsize int, log []qEvent, left []int) {
	t.Helper()
	var model []int
	shutdown := false
	cancelled := map[int]bool{}
	var getCalls, gets, putCalls, puts []int
	for _, e := range log {
		switch {
		case e.kind == "cancel":
			cancelled[e.task] = true
		case e.kind == "shutdown":
			shutdown = true
			if e.v == 1 {
				model = nil
			}
		case e.kind == "getCall":
			getCalls = append(getCalls, e.task)
		case e.kind == "putCall":
			putCalls = append(putCalls, e.task)
		case (e.kind == "put" || e.kind == "putNowait") && e.err == nil:
			model = append(model, e.v)
			if maxsize > 0 && len(model) > maxsize {
				t.Fatalf("%s of %d made the queue hold %d items, more than %d", e.kind, e.v, len(model), maxsize)
			}
			if e.kind == "put" {
				puts = append(puts, e.task)
			}
		case (e.kind == "get" || e.kind == "getNowait") && e.err == nil:
			if len(model) == 0 || model[0] != e.v {
				t.Fatalf("%s returned %d; the model's next item is %v", e.kind, e.v, model)
			}
			model = model[1:]
			if e.kind == "get" {
				gets = append(gets, e.task)
			}
		default:
			checkQueueError(t, e, shutdown, cancelled[e.task])
		}
	}
	if !slices.Equal(model, left) {
		t.Errorf("the queue was left holding %v; the model holds %v", left, model)
	}
	checkServedInOrder(t, "getters", getCalls, gets)
	checkServedInOrder(t, "putters", putCalls, puts)
}

// checkQueueError checks that a failed operation failed for a reason that
// had happened.
func checkQueueError(t *testing.T, e qEvent, shutdown, cancelled bool) {
	t.Helper()
	ok := false
	switch {
	case errors.Is(e.err, asyncio.ErrCancelled):
		ok = cancelled
	case errors.Is(e.err, asyncio.ErrQueueShutDown):
		ok = shutdown
	case errors.Is(e.err, asyncio.ErrQueueEmpty):
		ok = e.kind == "getNowait"
	case errors.Is(e.err, asyncio.ErrQueueFull):
		ok = e.kind == "putNowait" && !shutdown
	}
	if !ok {
		t.Fatalf("%s of task %d failed with %v (shut down: %v, cancelled: %v)", e.kind, e.task, e.err, shutdown, cancelled)
	}
}

// checkServedInOrder checks that the tasks that succeeded did so in the
// order they called.
func checkServedInOrder(t *testing.T, what string, calls, served []int) {
	t.Helper()
	var order []int
	for _, id := range calls {
		if slices.Contains(served, id) {
			order = append(order, id)
		}
	}
	if !slices.Equal(order, served) {
		t.Errorf("%s were served in the order %v, but called in the order %v", what, served, order)
	}
}

func FuzzQueue(f *testing.F) {
	for _, seed := range []struct {
		maxsize uint8
		prog    string
	}{
		{1, "\x00\x00\x01\x01\x01\x05\x05"},             // two getters, three putters
		{1, "\x01\x01\x01\x05\x02\x01\x04\x05\x00\x05"}, // cancel a waiting putter, then get
		{2, "\x00\x00\x05\x03\x02\x00\x03\x05\x05"},     // cancel a getter promised an item
		{0, "\x03\x03\x00\x00\x00\x05\x07\x05"},         // shutdown wakes a waiting getter
		{1, "\x00\x05\x03\x03\x47\x05\x05"},             // immediate shutdown drops a promised item
		{3, "\x01\x01\x01\x01\x01\x05\x04\x04\x02\x03\x00\x00\x05\x05"},
	} {
		f.Add(seed.maxsize, []byte(seed.prog))
	}
	f.Fuzz(func(t *testing.T, maxsize uint8, prog []byte) {
		if len(prog) > 200 {
			prog = prog[:200]
		}
		size := int(maxsize % 4)
		log, left := queueProgram(t, size, prog)
		checkQueueLog(t, size, log, left)
	})
}

// semaphoreProgram runs prog against a semaphore with permits permits, and
// checks the number of holders, the order of service, and that every permit
// comes back.
func semaphoreProgram(t *testing.T, permits int, prog []byte) {
	run(t, func(ctx context.Context) (int, error) {
		s := asyncio.NewSemaphore(permits)
		capacity := permits
		var tasks []*asyncio.Task[int]
		holders := 0
		var calls, served []int
		acquired := func(what string) {
			holders++
			if holders > capacity {
				t.Fatalf("%s: %d holders of a semaphore with %d permits", what, holders, capacity)
			}
		}
		for i := 0; i < len(prog); i++ {
			switch prog[i] % 8 {
			case 0, 1:
				id := len(tasks)
				tasks = append(tasks, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
					calls = append(calls, id)
					if err := s.Acquire(ctx); err != nil {
						return 0, err
					}
					served = append(served, id)
					acquired(fmt.Sprint("task ", id))
					return 0, nil
				}))
			case 2:
				if len(tasks) > 0 && i+1 < len(prog) {
					i++
					tasks[int(prog[i])%len(tasks)].Cancel()
				}
			case 3:
				if holders > 0 {
					holders--
					s.Release()
				}
			case 4:
				if s.AcquireNowait() == nil {
					acquired("AcquireNowait")
				}
			case 5:
				if prog[i]>>3%4 == 0 {
					capacity++
					s.Release() // a release with no acquire adds a permit
				}
			default:
				asyncio.Sleep(ctx, 0)
			}
		}
		settle(ctx)
		for id, task := range tasks {
			if !task.Done() && s.Value() > 0 {
				t.Errorf("task %d waits while %d permits are free", id, s.Value())
			}
		}
		for _, task := range tasks {
			task.Cancel()
		}
		settle(ctx)
		for ; holders > 0; holders-- {
			s.Release()
		}
		if s.Value() != capacity || s.Locked() != (capacity == 0) {
			t.Errorf("after every holder released: Value %d, Locked %v; want %d permits back", s.Value(), s.Locked(), capacity)
		}
		checkServedInOrder(t, "acquirers", calls, served)
		return 0, nil
	})
}

func FuzzSemaphore(f *testing.F) {
	for _, seed := range []struct {
		permits uint8
		prog    string
	}{
		{1, "\x00\x00\x00\x06\x03\x06\x03\x06"},
		{1, "\x00\x00\x06\x03\x02\x01\x06\x06"}, // cancel a waiter handed a permit
		{2, "\x04\x04\x00\x00\x02\x00\x03\x06\x03\x06"},
		{0, "\x00\x00\x05\x06\x05\x06"}, // permits from releases without acquires
	} {
		f.Add(seed.permits, []byte(seed.prog))
	}
	f.Fuzz(func(t *testing.T, permits uint8, prog []byte) {
		if len(prog) > 200 {
			prog = prog[:200]
		}
		semaphoreProgram(t, int(permits%4), prog)
	})
}

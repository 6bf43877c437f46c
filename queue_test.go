package asyncio_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

// queueOf is what the tests need of every queue kind.
type queueOf[T any] interface {
	Put(ctx context.Context, v T) error
	PutNowait(v T) error
	Get(ctx context.Context) (T, error)
	GetNowait() (T, error)
	Len() int
}

func TestQueueKindsOrder(t *testing.T) {
	cases := []struct {
		name string
		make func() queueOf[int]
		want string
	}{
		{"fifo", func() queueOf[int] { return asyncio.NewQueue[int](0) }, "[3 1 2]"},
		{"zero value", func() queueOf[int] { return new(asyncio.Queue[int]) }, "[3 1 2]"},
		{"lifo", func() queueOf[int] { return asyncio.NewLifoQueue[int](0) }, "[2 1 3]"},
		{"priority", func() queueOf[int] {
			return asyncio.NewPriorityQueue(0, func(a, b int) bool { return a < b })
		}, "[1 2 3]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				q := c.make()
				for _, v := range []int{3, 1, 2} {
					if err := q.Put(ctx, v); err != nil {
						return 0, err
					}
				}
				var got []int
				for q.Len() > 0 {
					v, err := q.GetNowait()
					if err != nil {
						return 0, err
					}
					got = append(got, v)
				}
				if fmt.Sprint(got) != c.want {
					t.Errorf("got %v, want %s", got, c.want)
				}
				return 0, nil
			})
		})
	}
}

func TestPriorityQueueManyItems(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		q := asyncio.NewPriorityQueue(0, func(a, b int) bool { return a > b })
		for i := range 100 {
			q.PutNowait((i * 37) % 100)
		}
		for want := 99; want >= 0; want-- {
			if v, _ := q.GetNowait(); v != want {
				t.Fatalf("got %d, want %d", v, want)
			}
		}
		return 0, nil
	})
}

func TestQueueBoundedPutWaits(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		q := asyncio.NewQueue[string](1)
		producer := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			for _, v := range []string{"a", "b", "c"} {
				if err := q.Put(ctx, v); err != nil {
					return 0, err
				}
				r.add("put %s at %s", v, now(ctx))
			}
			return 0, nil
		})
		for range 3 {
			asyncio.Sleep(ctx, time.Second)
			v, err := q.Get(ctx)
			if err != nil {
				return 0, err
			}
			r.add("got %s at %s", v, now(ctx))
		}
		_, err := asyncio.Await(ctx, producer)
		return 0, err
	})
	r.check(t, "put a at 0s", "got a at 1s", "put b at 1s", "got b at 2s", "put c at 2s", "got c at 3s")
}

func TestQueueGettersServedInOrder(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		var q asyncio.Queue[int]
		var ts []asyncio.Awaitable[int]
		for _, name := range []string{"a", "b", "c"} {
			ts = append(ts, asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
				v, err := q.Get(ctx)
				r.add("%s got %d", name, v)
				return v, err
			}))
		}
		asyncio.Sleep(ctx, 0)
		for i := range 3 {
			q.PutNowait(i)
		}
		// The items are promised to the waiting getters: nothing is left for
		// a task that did not wait.
		if _, err := q.GetNowait(); !errors.Is(err, asyncio.ErrQueueEmpty) {
			t.Errorf("GetNowait past waiting getters = %v, want ErrQueueEmpty", err)
		}
		_, err := asyncio.Gather(ctx, ts...)
		return 0, err
	})
	r.check(t, "a got 0", "b got 1", "c got 2")
}

func TestQueueNowait(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		q := asyncio.NewQueue[int](1)
		if _, err := q.GetNowait(); !errors.Is(err, asyncio.ErrQueueEmpty) {
			t.Errorf("GetNowait on empty = %v", err)
		}
		if err := q.PutNowait(1); err != nil {
			t.Fatal(err)
		}
		if err := q.PutNowait(2); !errors.Is(err, asyncio.ErrQueueFull) || !q.Full() {
			t.Errorf("PutNowait on full = %v, Full = %v", err, q.Full())
		}
		if v, err := q.GetNowait(); v != 1 || err != nil || !q.Empty() {
			t.Errorf("GetNowait = %v, %v", v, err)
		}
		var unbounded asyncio.Queue[int]
		unbounded.PutNowait(1)
		if unbounded.Full() {
			t.Error("an unbounded queue is Full")
		}
		return 0, nil
	})
}

func TestQueueCancelledGetterLosesNoItem(t *testing.T) {
	for _, afterPromise := range []bool{false, true} {
		t.Run(fmt.Sprint("afterPromise=", afterPromise), func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				var q asyncio.Queue[string]
				first := asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) { return q.Get(ctx) })
				second := asyncio.CreateTask(ctx, func(ctx context.Context) (string, error) { return q.Get(ctx) })
				asyncio.Sleep(ctx, 0)
				if afterPromise {
					q.PutNowait("item")
					first.Cancel()
				} else {
					first.Cancel()
					q.PutNowait("item")
				}
				if _, err := asyncio.Await(ctx, first); !errors.Is(err, asyncio.ErrCancelled) {
					t.Errorf("cancelled getter = %v", err)
				}
				v, err := asyncio.Await(ctx, second)
				if v != "item" || err != nil {
					t.Errorf("second getter = %q, %v; the item must reach it", v, err)
				}
				return 0, nil
			})
		})
	}
}

func TestQueueCancelledPutterAddsNothing(t *testing.T) {
	for _, afterPromise := range []bool{false, true} {
		t.Run(fmt.Sprint("afterPromise=", afterPromise), func(t *testing.T) {
			run(t, func(ctx context.Context) (int, error) {
				q := asyncio.NewQueue[string](1)
				q.PutNowait("old")
				first := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, q.Put(ctx, "cancelled") })
				second := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, q.Put(ctx, "kept") })
				asyncio.Sleep(ctx, 0)
				if afterPromise {
					q.GetNowait()
					first.Cancel()
				} else {
					first.Cancel()
					q.GetNowait()
				}
				asyncio.Await(ctx, first)
				if _, err := asyncio.Await(ctx, second); err != nil {
					t.Error(err)
				}
				v, _ := q.GetNowait()
				if v != "kept" || q.Len() != 0 {
					t.Errorf("queue holds %q and %d more; want only the item of the putter that was not cancelled", v, q.Len())
				}
				return 0, nil
			})
		})
	}
}

func TestQueueTaskDoneJoin(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var q asyncio.Queue[int]
		if err := q.Join(ctx); err != nil {
			t.Errorf("Join on a fresh queue = %v", err)
		}
		for i := range 3 {
			q.PutNowait(i)
		}
		worker := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			for {
				if _, err := q.Get(ctx); err != nil {
					return 0, err
				}
				asyncio.Sleep(ctx, time.Second)
				q.TaskDone()
			}
		})
		if err := q.Join(ctx); err != nil {
			return 0, err
		}
		if now(ctx) != "3s" {
			t.Errorf("Join returned at %s, want 3s when all three are done", now(ctx))
		}
		worker.Cancel()
		asyncio.Await(ctx, worker)
		panicMatches(t, mustPanic(t, q.TaskDone), nil, "more times than items were put")
		return 0, nil
	})
}

func TestQueueShutdown(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		q := asyncio.NewQueue[int](1)
		q.PutNowait(1)
		putter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, q.Put(ctx, 2) })
		asyncio.Sleep(ctx, 0)
		q.Shutdown(false)
		if _, err := asyncio.Await(ctx, putter); !errors.Is(err, asyncio.ErrQueueShutDown) {
			t.Errorf("waiting putter after Shutdown = %v", err)
		}
		if err := q.PutNowait(3); !errors.Is(err, asyncio.ErrQueueShutDown) {
			t.Errorf("PutNowait after Shutdown = %v", err)
		}
		if v, err := q.Get(ctx); v != 1 || err != nil {
			t.Errorf("Get of the item left = %v, %v", v, err)
		}
		if _, err := q.Get(ctx); !errors.Is(err, asyncio.ErrQueueShutDown) {
			t.Errorf("Get of an empty shut-down queue = %v", err)
		}
		if _, err := q.GetNowait(); !errors.Is(err, asyncio.ErrQueueShutDown) {
			t.Errorf("GetNowait of an empty shut-down queue = %v", err)
		}
		return 0, nil
	})
}

func TestQueueShutdownImmediate(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var q asyncio.Queue[int]
		getter := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return q.Get(ctx) })
		asyncio.Sleep(ctx, 0) // the getter waits
		q.PutNowait(1)        // promised to the getter, which has not run yet
		q.PutNowait(2)
		joiner := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, q.Join(ctx) })
		q.Shutdown(true) // before the getter resumes
		if _, err := asyncio.Await(ctx, getter); !errors.Is(err, asyncio.ErrQueueShutDown) {
			t.Errorf("getter after an immediate Shutdown = %v; the item it was promised is gone", err)
		}
		if _, err := asyncio.Await(ctx, joiner); err != nil {
			t.Errorf("Join after an immediate Shutdown = %v; dropped items count as done", err)
		}
		if q.Len() != 0 {
			t.Errorf("%d items left", q.Len())
		}
		return 0, nil
	})
}

func TestQueueShutdownImmediateWakesJoin(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var q asyncio.Queue[int]
		q.PutNowait(1)
		q.PutNowait(2)
		joiner := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) { return 0, q.Join(ctx) })
		asyncio.Sleep(ctx, 0) // the joiner waits for two items to be done
		q.Shutdown(true)
		_, err := asyncio.Await(ctx, joiner)
		return 0, err
	})
}

// A consumer ranges over a queue until it is shut down and empty.
func TestQueueAll(t *testing.T) {
	var r recorder
	run(t, func(ctx context.Context) (int, error) {
		q := asyncio.NewQueue[int](2)
		consumer := asyncio.CreateTask(ctx, func(ctx context.Context) (int, error) {
			sum := 0
			for v := range q.All(ctx) {
				r.add("got %d at %s", v, now(ctx))
				sum += v
			}
			return sum, nil
		})
		for i := range 3 {
			q.Put(ctx, i+1)
			asyncio.Sleep(ctx, time.Second)
		}
		q.Shutdown(false)
		sum, err := asyncio.Await(ctx, consumer)
		r.add("sum %d", sum)
		return 0, err
	})
	r.check(t, "got 1 at 0s", "got 2 at 1s", "got 3 at 2s", "sum 6")
}

// Ranging over a queue ends when the task is interrupted, and the
// interruption is not lost: the task's next wait ends with it.
func TestQueueAllInterrupted(t *testing.T) {
	run(t, func(ctx context.Context) (int, error) {
		var q asyncio.Queue[int]
		err := asyncio.Timeout(ctx, time.Second, func(ctx context.Context) error {
			for range q.All(ctx) {
				t.Error("an item came from an empty queue")
			}
			return asyncio.Sleep(ctx, time.Hour)
		})
		if !errors.Is(err, asyncio.ErrTimeout) {
			t.Errorf("Timeout = %v, want ErrTimeout at the Sleep after the loop", err)
		}
		return 0, nil
	})
}

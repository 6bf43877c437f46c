// Package cluster runs registered functions on a cluster of worker
// processes through a NATS JetStream server: the step from
// futures.ProcessPoolExecutor to many machines, as Dask's distributed
// Client is to Python's concurrent.futures.
//
// The functions, their encoding and the futures are those of package
// futures. A program registers functions with futures.Register while its
// packages are initialized, makes calls with Call instead of futures.Call,
// and gets *futures.Future values that Wait, AsCompleted and
// asyncio.WrapFuture take as they take any other:
//
//	var square = futures.Register("square", func(x int) (int, error) { return x * x, nil })
//
//	func main() {
//		cluster.ServeIfWorker() // with GOASYNCIO_CLUSTER_WORKER set, serves and exits
//		ex, err := cluster.Dial(ctx, "nats://127.0.0.1:4222", nil)
//		...
//		defer ex.Shutdown(true)
//		n, err := cluster.Call(ex, square, 7).Result()
//	}
//
// Workers are the same program started with GOASYNCIO_CLUSTER_WORKER
// naming the server (see ServeIfWorker), or any program that calls Serve.
// Each runs up to its Concurrency calls at once, on goroutines, and drains
// when told to stop (SIGTERM): it finishes the calls it holds and takes no
// new ones.
//
// # Semantics
//
// A call is handed to the server, which keeps it in a work queue (a
// stream with file storage) until a worker has finished it. Delivery is at
// least once:
//   - A worker holds a call under a lease (Options.Lease, 30s by default),
//     which it extends while the call runs. A worker that dies (kill -9, a
//     crash, a lost machine) or hangs (stopped, deadlocked) stops
//     extending it, and the server hands the call to another worker once
//     the lease runs out. So a call may run more than once, and its
//     function should be idempotent; Options.Attempts = 1 makes calls at
//     most once instead.
//   - After Attempts hand-overs (3 by default) the future fails with an
//     error matching futures.ErrBrokenWorker that says so. The failure is
//     reported by the worker that is handed the call once more, so it
//     comes a lease after the last attempt began, and only while some
//     worker serves the queue.
//   - A function's error or panic is its result, never retried; so is a
//     call of a name the worker does not know (futures.ErrNotRegistered)
//     and an argument it cannot decode (futures.ErrEncoding). A message in
//     the queue that is not a call is dropped and reported to the worker's
//     Logf.
//   - A worker sends a result to a stream of results and only then tells
//     the server it is done with the call, so no result is lost once its
//     call ran to the end. A result that arrives twice (a call that ran
//     twice) is dropped by the server or ignored by the executor: the
//     future keeps the first.
//   - A worker receives up to its Concurrency calls ahead of those it runs,
//     so that it does not wait for the server between calls. It extends
//     their leases too while they wait for a free slot, however long the
//     running calls take, so a call that waits at a live worker is not
//     handed to another.
//   - Cancel succeeds exactly while the future is pending: the call has not
//     been handed to the server, which happens at once while the executor
//     is connected, and waits while it is not. Once handed over the
//     future is running, even while the call waits in the queue for a
//     worker (Stats tells the two apart), and Cancel reports false, as
//     Python's ProcessPoolExecutor does for the calls it has queued.
//   - An executor that loses its connection reconnects without end; the
//     results that arrive meanwhile wait for it at the server, for
//     Options.Retention (1h by default). The server itself may restart:
//     calls and results are stored on disk.
//   - An argument or a result must fit into a message of the server
//     (max_payload, 1 MiB by default), or the call fails with
//     futures.ErrEncoding.
//
// # Observability
//
// Executor.Stats counts an executor's calls (unsent, in flight,
// completed, failed, broken, completed on a later attempt, duplicate
// results) and, from the server, its queue's (waiting for a worker, held
// by workers, handed over more than once). A cluster future's Label names
// its function and queue, and a task of package asyncio that awaits one
// through asyncio.WrapFuture shows in the loop's task dump as awaiting
//
//	executor work: cluster call "square" on queue goasyncio
//
// with "(not started)" after it while the call has not been handed to the
// server.
//
// # The queue on the server
//
// A queue named Q is two streams, Q-calls (subject Q.calls, a work queue)
// and Q-results (subjects Q.results.*, kept while an executor has not
// received them, and at most for Retention), and the durable consumer
// "workers" of Q-calls, whose acknowledgement wait is the lease. Dial
// creates them or updates them to its Options; a worker creates them with
// the defaults if they do not exist. Each executor has a durable consumer
// of its own results, which it deletes when it shuts down; the server
// deletes one left behind by an executor that died after Retention.
// Servers from NATS 2.9 on serve the package. nats-server 2.9.10 (Debian
// 12's) can lose answers and deliveries to a client that has just
// connected, and crash when a stream is updated while another client
// creates it: the package asks again, subscribes afresh when heartbeats
// stop coming, and updates nothing that is already as it should be, so
// that it works there too; newer servers do not need that.
package cluster

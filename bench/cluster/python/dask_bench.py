"""bench/cluster: Dask distributed.

Run as a script, it is the client: it starts a `dask scheduler` and
--workers `dask worker` processes of one thread each, all on 127.0.0.1,
times the calls and stops them by their process IDs:

    /usr/bin/python3 dask_bench.py --calls 10000 --seq 1000

Dask needs no Redis (--redis is accepted and unused): its scheduler, a
process of its own as Redis and NATS are for the others, is the broker.
The burst is client.map(..., pure=False) and client.gather; a single call
is client.submit(..., pure=False).result(). pure=False because every call
is a new task, as with the other systems, even for an argument seen
before. The workers run without a nanny (--no-nanny), so that each worker
is one process with a process ID to stop; the nanny only restarts a
worker that dies and watches its memory. Dask's defaults otherwise.
"""

import os
import sys
import time

import distributed
from distributed import Client


def noop(x):
    """Return x: the no-op call that the benchmark makes."""
    return x


def _wait_for_file(path, workers, timeout):
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        workers.check_alive()
        if time.monotonic() > deadline:
            import harness
            raise harness.Failure(f"the scheduler wrote no {path} in {timeout:.0f}s")
        time.sleep(0.05)


def main():
    import harness

    args = harness.parse_args("dask", needs_redis=False)
    with harness.Workers() as workers:
        sched_file = os.path.join(workers.directory, "scheduler.json")
        workers.start("scheduler", [sys.executable, "-m", "distributed.cli.dask_scheduler",
                                    "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                    "--scheduler-file", sched_file])
        _wait_for_file(sched_file, workers, 60)
        for i in range(args.workers):
            workers.start(f"worker{i}", [sys.executable, "-m", "distributed.cli.dask_worker",
                                         "--scheduler-file", sched_file, "--host", "127.0.0.1",
                                         "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                         "--name", f"worker{i}",
                                         "--local-directory", workers.directory])
        with Client(scheduler_file=sched_file, timeout=60) as client:
            client.wait_for_workers(args.workers, timeout=60)

            def submit(values):
                return client.map(noop, values, pure=False)

            def gather(futures):
                return client.gather(futures)

            def call(value):
                return client.submit(noop, value, pure=False).result(timeout=args.timeout)

            line = harness.run("dask", distributed.__version__, args, submit, gather, call, workers)
    harness.emit(line, workers)


if __name__ == "__main__":
    main()

"""bench/cluster: RQ on Redis.

Run as a script, it is the client: it starts --workers `rq worker`
processes on one queue, in this directory, which import this module for the
no-op, times the calls and stops the workers by their process IDs:

    /usr/bin/python3 rq_bench.py --calls 10000 --seq 1000 --redis redis://127.0.0.1:6379/0

RQ's defaults throughout: each worker forks a work horse per job, and keeps
results 500 s in a Redis stream per job. With --simple, the workers are
RQ's SimpleWorker, which runs the jobs in its own process, without the
fork; the record's system is then "rq-simple". The burst goes in with
Queue.enqueue_many, RQ's bulk submit (one Redis pipeline). RQ 1.13 has no
call that blocks until a job's result is there: the client polls
Job.latest_result(), as RQ's documentation does with job.result, every
POLL_S seconds. Workers log at WARNING, as the Celery worker does, so that
no log line per job is written.
"""

import os
import sys
import time

import rq
from redis import Redis
from rq import Queue
from rq.results import Result

HERE = os.path.dirname(os.path.abspath(__file__))
QUEUE = "clusterbench"
FUNC = "rq_bench.noop"  # by name: run as a script, this module is __main__
POLL_S = 0.001  # between two looks at a result that is not there yet


def noop(x):
    """Return x: the no-op call that the benchmark makes."""
    return x


def _result(job):
    """Return the value of job if it has finished, or raise LookupError."""
    res = job.latest_result()
    if res is None:
        raise LookupError(job.id)
    if res.type != Result.Type.SUCCESSFUL:
        import harness
        raise harness.Failure(f"job {job.id} ended {res.type.name}: {res.exc_string}")
    return res.return_value


def main():
    import harness

    args = harness.parse_args("rq", more=lambda p: p.add_argument(
        "--simple", action="store_true", help="RQ's SimpleWorker: no fork per job"))
    system, worker_class = ("rq-simple", ["--worker-class", "rq.worker.SimpleWorker"]) if args.simple else ("rq", [])
    conn = Redis.from_url(args.redis)
    queue = Queue(QUEUE, connection=conn)

    def submit(values):
        return queue.enqueue_many([Queue.prepare_data(FUNC, args=(v,)) for v in values])

    def gather(jobs):
        # Jobs finish about in the order they were queued: look at them in
        # that order, and after one that is not done, wait and look again.
        out, deadline = [], time.monotonic() + args.timeout
        while len(out) < len(jobs):
            try:
                out.append(_result(jobs[len(out)]))
            except LookupError:
                if time.monotonic() > deadline:
                    raise harness.Failure(f"no result for call {len(out)} after {args.timeout:.0f}s")
                time.sleep(POLL_S)
        return out

    def call(value):
        return gather([queue.enqueue(FUNC, value)])[0]

    with harness.Workers() as workers:
        for i in range(args.workers):
            workers.start(f"rq{i}", [sys.executable, "-m", "rq.cli", "worker", "--url", args.redis,
                                     "--path", HERE, "--logging_level", "WARNING", *worker_class,
                                     "--name", f"clusterbench-{os.getpid()}-{i}", QUEUE],
                          cwd=HERE)
        line = harness.run(system, rq.__version__, args, submit, gather, call, workers)
    harness.emit(line, workers)


if __name__ == "__main__":
    main()

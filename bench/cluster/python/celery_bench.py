"""bench/cluster: Celery on Redis, broker and result backend.

Run as a script, it is the client: it starts one `celery worker` with a
prefork pool of --workers processes, in this directory, which imports this
module as the app, times the calls and stops the worker by its process ID:

    /usr/bin/python3 celery_bench.py --calls 10000 --seq 1000 --redis redis://127.0.0.1:6379/0

Every setting is Celery's default (JSON serializer, prefetch multiplier 4,
acks on receipt) but the result backend, which must be set for a caller to
get results: Redis too, where the client waits on a subscription per task.
"""

import os
import sys

import celery
from celery import Celery
from celery.result import ResultSet

REDIS_ENV = "CLUSTERBENCH_REDIS"  # the URL, for the worker's import of this module
HERE = os.path.dirname(os.path.abspath(__file__))

app = Celery("clusterbench", broker=os.environ.get(REDIS_ENV), backend=os.environ.get(REDIS_ENV))


@app.task(name="clusterbench.noop")
def noop(x):
    """Return x: the no-op call that the benchmark makes."""
    return x


def main():
    import harness

    args = harness.parse_args("celery")
    os.environ[REDIS_ENV] = args.redis
    app.conf.broker_url = app.conf.result_backend = args.redis

    def submit(values):
        return ResultSet([noop.delay(v) for v in values])

    def gather(results):
        return results.get(timeout=args.timeout)

    def call(value):
        return noop.delay(value).get(timeout=args.timeout)

    with harness.Workers() as workers:
        workers.start("celery", [sys.executable, "-m", "celery", "-A", "celery_bench", "worker",
                                 "--pool", "prefork", "--concurrency", str(args.workers),
                                 "--loglevel", "WARNING", "--hostname", f"clusterbench{os.getpid()}@%h"],
                      cwd=HERE)
        line = harness.run("celery", celery.__version__, args, submit, gather, call, workers)
    harness.emit(line, workers)


if __name__ == "__main__":
    main()

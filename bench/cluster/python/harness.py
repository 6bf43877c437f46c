"""What every competitor of bench/cluster shares: its command line, its
worker processes, the two timed workloads, their checks and the JSON line.

A competitor gives three functions: submit(values), which submits one
no-op call per value at once and returns a handle on them, gather(handle),
which waits for their results and returns them in order, and call(value),
which makes one call and returns its result. The no-op returns its
argument, so every result can be checked against what was sent.
"""

import argparse
import ctypes
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

__all__ = ["Failure", "Workers", "emit", "parse_args", "run"]

PR_SET_PDEATHSIG = 1
SEQ_BASE = 1_000_000  # the sequential calls send SEQ_BASE + i, the burst i


class Failure(Exception):
    """A run whose results did not check out, or whose workers failed."""


def parse_args(system, needs_redis=True, more=None):
    """Return the parsed command line that every competitor shares; more,
    if given, adds a competitor's own options to the parser."""
    p = argparse.ArgumentParser(description=f"bench/cluster: {system}, no-op calls on 127.0.0.1")
    if more is not None:
        more(p)
    p.add_argument("--calls", type=int, default=10_000, help="calls in the burst (default 10000)")
    p.add_argument("--seq", type=int, default=1_000, help="sequential calls for the latency (default 1000)")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--warmup", type=int, default=100,
                   help="untimed calls before the timing: a burst of this many, then a tenth of them "
                        "one at a time (default 100)")
    p.add_argument("--redis", default=None, required=needs_redis,
                   help="the Redis URL, e.g. redis://127.0.0.1:6379/0" + ("" if needs_redis else " (unused)"))
    p.add_argument("--timeout", type=float, default=240.0,
                   help="seconds to wait for any one result (default 240)")
    args = p.parse_args()
    if args.calls < 1 or args.seq < 1 or args.workers < 1 or args.warmup < 1:
        p.error("--calls, --seq, --workers and --warmup must be positive")
    return args


def _die_with_parent():
    # A worker outlives a client killed by SIGKILL unless the kernel tells
    # it; bench/cluster/run's timeout kills the process group as well.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _start_time(pid):
    """Return the start time of process pid in clock ticks, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    # The command name, in parentheses, may hold spaces: split after it.
    fields = stat[stat.rindex(")") + 2:].split()
    return int(fields[19])


def _descendants(root):
    """Return {pid: start time} of every live descendant of process root."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(name))
    out, todo = {}, [root]
    while todo:
        for pid in children.get(todo.pop(), []):
            start = _start_time(pid)
            if start is not None:
                out[pid] = start
                todo.append(pid)
    return out


def _on_sigterm(signum, frame):
    # bench/cluster/run's timeout sends SIGTERM: leave through the with
    # blocks, so that the workers are stopped by their process IDs.
    raise SystemExit(128 + signum)


class Workers:
    """The worker processes of one run, started by this process and
    stopped by their process IDs when the with block ends.

    Each worker's output goes to a log in a temporary directory; a failed
    run prints the end of every log on stderr. From the start, SIGTERM
    makes this process leave through the with block, which stops the
    workers and removes the directory.
    """

    def __init__(self):
        signal.signal(signal.SIGTERM, _on_sigterm)
        self._dir = tempfile.TemporaryDirectory(prefix="clusterbench-")
        self._procs = []  # (name, Popen, log path)
        self.leftovers = 0  # processes that outlived the workers, once stopped
        self.directory = self._dir.name  # temporary, removed with the workers

    def start(self, name, argv, cwd=None):
        """Start argv as the worker called name and return its Popen.

        The worker keeps the bytecode of what it compiles in the temporary
        directory, not in the source tree: an RQ work horse, forked for one
        job, would otherwise compile the job's module again every time.
        """
        log = os.path.join(self._dir.name, f"{name}.log")
        env = dict(os.environ, PYTHONPYCACHEPREFIX=os.path.join(self._dir.name, "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        with open(log, "wb") as out:
            proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        self._procs.append((name, proc, log))
        return proc

    def check_alive(self):
        """Raise Failure if a worker has exited."""
        for name, proc, _ in self._procs:
            if proc.poll() is not None:
                raise Failure(f"worker {name} exited with status {proc.returncode}")

    def tails(self, only=None, lines=5):
        """Return the last lines of every worker's log, or only of the worker
        called only."""
        out = []
        for name, _, log in self._procs:
            if only is not None and name != only:
                continue
            with open(log, errors="replace") as f:
                tail = f.read().splitlines()[-lines:]
            out.extend(f"{name}: {line}" for line in tail)
        return "\n".join(out)

    def stop(self, grace=20.0):
        """Stop every worker: SIGTERM, then SIGKILL after grace seconds.

        The processes that the workers had started themselves (Celery's
        pool, RQ's work horses) must be gone too: any left is killed and
        reported on stderr. Return the number of leftovers.
        """
        tree = _descendants(os.getpid())
        for _, proc, _ in self._procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for name, proc, _ in self._procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"worker {name} (pid {proc.pid}) ignored SIGTERM for {grace:.0f}s: killed; "
                      f"its log ends:\n{self.tails(name)}", file=sys.stderr)
                proc.kill()
                proc.wait()
        left = 0
        for pid, start in tree.items():
            if _start_time(pid) == start:
                print(f"process {pid}, started by a worker, outlived it: killed", file=sys.stderr)
                left += 1
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        return left

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is not None and self._procs:
                print(self.tails(), file=sys.stderr)
            self.leftovers = self.stop()
        finally:
            self._dir.cleanup()
        return False


def _percentile(sorted_values, p):
    """Return the p-th percentile (0 < p <= 100) by the nearest-rank method."""
    rank = max(1, -(-len(sorted_values) * p // 100))  # ceil without floats
    return sorted_values[int(rank) - 1]


def _check(what, got, want):
    if len(got) != len(want):
        raise Failure(f"{what}: {len(got)} results for {len(want)} calls")
    wrong = sum(1 for g, w in zip(got, want) if g != w)
    if wrong:
        first = next(i for i, (g, w) in enumerate(zip(got, want)) if g != w)
        raise Failure(f"{what}: {wrong} of {len(want)} results wrong; the first, call {first}, "
                      f"returned {got[first]!r} for {want[first]!r}")


def run(system, version, args, submit, gather, call, workers=None):
    """Warm up, time the burst and the sequential calls, check every result
    and return the JSON record; on a failure, print it on stderr and exit 1.

    workers, if given, is checked to be alive after the warm-up.
    """
    try:
        n = args.warmup
        _check("warm-up burst", gather(submit(list(range(n)))), list(range(n)))
        for i in range(max(1, n // 10)):
            _check("warm-up call", [call(SEQ_BASE + i)], [SEQ_BASE + i])
        if workers is not None:
            workers.check_alive()

        want = list(range(args.calls))
        t0 = time.perf_counter()
        handle = submit(want)
        submit_s = time.perf_counter() - t0
        got = gather(handle)
        burst_s = time.perf_counter() - t0
        _check("burst", got, want)

        lat, got = [], []
        for i in range(args.seq):
            t0 = time.perf_counter()
            got.append(call(SEQ_BASE + i))
            lat.append(time.perf_counter() - t0)
        _check("sequential calls", got, [SEQ_BASE + i for i in range(args.seq)])
    except Failure as e:
        print(f"{system}: {e}", file=sys.stderr)
        raise SystemExit(1)
    lat.sort()
    line = {
        "system": system,
        "version": version,
        "workers": args.workers,
        "burst_calls": args.calls,
        "burst_calls_per_s": round(args.calls / burst_s, 1),
        "burst_s": round(burst_s, 4),
        "submit_s": round(submit_s, 4),
        "seq_calls": args.seq,
        "p50_ms": round(_percentile(lat, 50) * 1e3, 3),
        "p99_ms": round(_percentile(lat, 99) * 1e3, 3),
        "mean_ms": round(sum(lat) / len(lat) * 1e3, 3),
        "checked": args.calls + args.seq,
    }
    return line


def emit(line, workers):
    """Print the record line, once workers are stopped; exit 1 instead if
    a process that they started outlived them."""
    if workers.leftovers:
        print(f"{line['system']}: {workers.leftovers} process(es) outlived the workers", file=sys.stderr)
        raise SystemExit(1)
    print(json.dumps(line), flush=True)

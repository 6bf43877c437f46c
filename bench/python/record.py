"""The result line of one benchmark run, as bench/internal/record defines it.

Every benchmark program prints one JSON object per run with the fields of
record.Record in Go; bench/run collects the lines and bench/cmd/benchreport
reads them.
"""

import dataclasses
import gc
import json
import sys
import time

__all__ = ["Failure", "Outcome", "atimed", "emit", "lcg_durations_us", "peak_rss", "resident_bytes",
           "sum_to", "timed"]


class Failure(Exception):
    """A run whose result did not check out."""


@dataclasses.dataclass
class Outcome:
    """What a run that checked out reports."""

    check: str  # the check that passed
    wall_ns: int  # wall time of the timed run
    bytes_per_task: float = 0.0  # W3m only
    impl: str | None = None  # how the work was done, when chosen at run time


def sum_to(n):
    """Return 0 + 1 + ... + n-1, the sum of n task indices."""
    return n * (n - 1) // 2


def lcg_durations_us(n):
    """Return W3's n sleep durations in microseconds, in [0, 1 000 000).

    They come from the 32-bit linear congruential generator of Numerical
    Recipes (a = 1664525, c = 1013904223, seed 1), as in the Go and Node.js
    programs, so that every runtime sleeps the same sequence.
    """
    out = []
    state = 1
    for _ in range(n):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append((state * 1_000_000) >> 32)
    return out


def _proc_status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def peak_rss():
    """Return the process's peak resident set size in bytes."""
    return _proc_status("VmHWM:")


def resident_bytes():
    """Return the resident set size in bytes after a full collection."""
    gc.collect()
    return _proc_status("VmRSS:")


def timed(warmup, body):
    """Call body() warmup times, then once timed, and return an Outcome.

    body returns the check text; it raises Failure, or any exception, when
    the run went wrong.
    """
    for _ in range(warmup):
        body()
    start = time.perf_counter_ns()
    check = body()
    return Outcome(check, time.perf_counter_ns() - start)


async def atimed(warmup, body):
    """timed for a coroutine function body."""
    for _ in range(warmup):
        await body()
    start = time.perf_counter_ns()
    check = await body()
    return Outcome(check, time.perf_counter_ns() - start)


def emit(runtime, workload, impl, ops, run):
    """Call run(), which returns an Outcome, and print the run's record.

    An exception from run is the run's failure, reported in the record.
    Returns the process's exit status: 0 if the run checked out, 1 if not.
    """
    rec = {"runtime": runtime, "workload": workload, "impl": impl, "ops": ops,
           "wall_ns": 0, "ns_per_op": 0.0, "rss_peak_bytes": 0, "ok": False, "check": ""}
    try:
        out = run()
    except Exception as e:  # the failure is the run's outcome, reported below
        rec["check"] = f"{type(e).__name__}: {e}"
    else:
        rec.update(ok=True, check=out.check, wall_ns=out.wall_ns, ns_per_op=out.wall_ns / ops)
        if out.bytes_per_task:
            rec["bytes_per_task"] = out.bytes_per_task
        if out.impl:
            rec["impl"] = out.impl
    rec["rss_peak_bytes"] = peak_rss()
    print(json.dumps(rec), flush=True)
    if not rec["ok"]:
        print(f"{runtime} {workload}: {rec['check']}", file=sys.stderr)
    return 0 if rec["ok"] else 1

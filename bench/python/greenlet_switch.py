#!/usr/bin/python3
"""W5 of the goasyncio benchmarks with Python's greenlet module.

Usage: greenlet_switch.py [--warmup N] [--scale F] W5

Two greenlets switch to each other 1 000 000 times in all, the second
counting the switches it receives, and one JSON line (record.py) reports
the time per one-direction switch. greenlet has no event loop, so the other
workloads do not apply to it.
"""

import argparse
import sys

from greenlet import __version__ as greenlet_version
from greenlet import greenlet

from record import Failure, emit, timed

SWITCHES = 1_000_000


def ping_pong(n):
    """Switch n times between two greenlets; return the check text."""
    received = 0

    def ping():
        for _ in range(n // 2):
            pong_g.switch()

    def pong():
        nonlocal received
        while True:
            received += 1
            ping_g.switch()

    ping_g, pong_g = greenlet(ping), greenlet(pong)
    ping_g.switch()  # returns when ping's run does
    pong_g.throw()  # GreenletExit ends pong
    if received != n // 2:
        raise Failure(f"pong ran {received} times, want {n // 2}")
    return f"{2 * received} switches"


def main():
    p = argparse.ArgumentParser(description="goasyncio's W5 with Python's greenlet")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs before the timed one")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the workload's size by this factor")
    p.add_argument("workload", choices=["W5"])
    args = p.parse_args()
    if args.warmup < 0 or args.scale <= 0:
        p.error("--warmup must be >= 0 and --scale > 0")
    n = max(2, int(SWITCHES * args.scale)) // 2 * 2
    return emit("greenlet", "W5", f"greenlet {greenlet_version}: two greenlets switch()", n,
                lambda: timed(args.warmup, lambda: ping_pong(n)))


if __name__ == "__main__":
    sys.exit(main())

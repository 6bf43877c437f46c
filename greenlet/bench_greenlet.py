#!/usr/bin/python3
"""Ping-pong between two greenlets with Python's greenlet module.

The anchor for BenchmarkSwitch in bench_test.go: two greenlets switch to
each other in turn, and the script prints the nanoseconds per one-direction
switch. Run it with Debian's interpreter and package:

    apt-get install -y python3-greenlet
    /usr/bin/python3 greenlet/bench_greenlet.py
"""

import time

from greenlet import greenlet

SWITCHES = 2_000_000


def ping():
    for _ in range(SWITCHES // 2):
        pong_greenlet.switch()


def pong():
    while True:
        ping_greenlet.switch()


ping_greenlet = greenlet(ping)
pong_greenlet = greenlet(pong)

start = time.perf_counter_ns()
ping_greenlet.switch()
elapsed = time.perf_counter_ns() - start
print(f"{elapsed / SWITCHES:.1f} ns/switch")

#!/usr/bin/python3
"""The goasyncio benchmark workloads written for CPython's asyncio.

Usage: aio.py [--loop asyncio|uvloop] [--warmup N] [--scale F] [--url URL] [--client C] WORKLOAD

Runs one workload (W1, W1c, W2, W3, W3m, W4, W6 or W7; W5 is greenlet.py's)
on the default event loop or on uvloop's, and prints one JSON line
(record.py). The workload runs --warmup times untimed, then once timed, in
one asyncio.Runner; W1c (W1 in a fresh process) and W3m run once, cold. W7 uses aiohttp when it is installed,
and urllib through asyncio.to_thread otherwise or with --client urllib.
"""

import argparse
import asyncio
import concurrent.futures
import sys
import time

from record import Failure, Outcome, atimed, emit, lcg_durations_us, resident_bytes, sum_to

HTTP_IN_FLIGHT = 16
WANT_BODY = b"pong\n"


def check_sum(total, want):
    if total != want:
        raise Failure(f"sum {total}, want {want}")
    return f"sum {total}"


async def spawn(n):
    """W1: n tasks each sleep(0) once and return their index; gather them."""
    async def child(i):
        await asyncio.sleep(0)
        return i

    tasks = [asyncio.create_task(child(i)) for i in range(n)]
    return check_sum(sum(await asyncio.gather(*tasks)), sum_to(n))


async def ping_pong(n):
    """W2: a driver and an echo task bounce a counter through two queues."""
    ping, pong = asyncio.Queue(), asyncio.Queue()

    async def echo():
        while (v := await ping.get()) >= 0:
            pong.put_nowait(v + 1)

    async def driver():
        total = 0
        for i in range(n):
            ping.put_nowait(i)
            total += await pong.get()
        ping.put_nowait(-1)
        return total

    total, _ = await asyncio.gather(asyncio.create_task(driver()), asyncio.create_task(echo()))
    return check_sum(total, sum_to(n + 1))


async def timers(n):
    """W3: n tasks each sleep for one of the LCG's durations."""
    async def child(i, seconds):
        await asyncio.sleep(seconds)
        return i

    tasks = [asyncio.create_task(child(i, us / 1e6)) for i, us in enumerate(lcg_durations_us(n))]
    return check_sum(sum(await asyncio.gather(*tasks)), sum_to(n))


async def park(n):
    """W3m: park n tasks in a long sleep; return the RSS growth per task."""
    parked = 0

    async def child():
        nonlocal parked
        parked += 1
        await asyncio.sleep(3600)

    start = time.perf_counter_ns()
    before = resident_bytes()
    tasks = [asyncio.create_task(child()) for _ in range(n)]
    await asyncio.sleep(0)  # the new tasks run first, in order
    during = resident_bytes()
    if parked != n:
        raise Failure(f"{parked} tasks parked, want {n}")
    for t in tasks:
        t.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    if not all(isinstance(r, asyncio.CancelledError) for r in results):
        raise Failure("a parked task did not end cancelled")
    return Outcome(f"{n} tasks parked and cancelled", time.perf_counter_ns() - start,
                   bytes_per_task=(during - before) / n)


def _identity(i):
    return i


async def executor(n, pool):
    """W4: n trivial calls through run_in_executor on 8 threads, gathered."""
    loop = asyncio.get_running_loop()
    futs = [loop.run_in_executor(pool, _identity, i) for i in range(n)]
    return check_sum(sum(await asyncio.gather(*futs)), sum_to(n))


async def future(n):
    """W6: n times, create a future, resolve it and await it."""
    loop = asyncio.get_running_loop()
    total = 0
    for i in range(n):
        f = loop.create_future()
        f.set_result(i)
        total += await f
    return check_sum(total, sum_to(n))


async def fetch_all(n, fetch):
    """W7: 16 tasks share n requests, each made by fetch()."""
    left = n

    async def worker():
        nonlocal left
        done = 0
        while left > 0:
            left -= 1
            body = await fetch()
            if body != WANT_BODY:
                raise Failure(f"body {body!r}, want {WANT_BODY!r}")
            done += 1
        return done

    total = sum(await asyncio.gather(*(worker() for _ in range(HTTP_IN_FLIGHT))))
    if total != n:
        raise Failure(f"{total} requests answered, want {n}")
    return f"{total} responses checked"


def aiohttp_fetcher(url):
    """Return (fetch, close, impl) for W7 with aiohttp, or None without it."""
    try:
        import aiohttp
    except ImportError:
        return None
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=HTTP_IN_FLIGHT))

    async def fetch():
        async with session.get(url) as resp:
            if resp.status != 200:
                raise Failure(f"GET {url}: {resp.status}")
            return await resp.read()

    return fetch, session.close, f"16 tasks: aiohttp {aiohttp.__version__} ClientSession"


def urllib_fetcher(url):
    """Return (fetch, close, impl) for W7 with urllib through to_thread."""
    import urllib.request

    def get():
        with urllib.request.urlopen(url) as resp:
            return resp.read()

    async def fetch():
        return await asyncio.to_thread(get)

    async def close():
        pass

    # to_thread's default executor has min(32, cpus+4) threads: 6 on two
    # cores, too few for 16 requests in flight.
    asyncio.get_running_loop().set_default_executor(
        concurrent.futures.ThreadPoolExecutor(max_workers=HTTP_IN_FLIGHT))
    return fetch, close, "16 tasks: to_thread(urllib.request), 16 threads"


async def main(args, n):
    """Run the workload and return its Outcome."""
    w = args.workload
    if w == "W3m":
        return await park(n)
    if w == "W1c":
        return await atimed(0, lambda: spawn(n))
    if w == "W4":
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            return await atimed(args.warmup, lambda: executor(n, pool))
    if w == "W7":
        fetcher = aiohttp_fetcher(args.url) if args.client == "aiohttp" else None
        fetch, close, impl = fetcher or urllib_fetcher(args.url)
        try:
            out = await atimed(args.warmup, lambda: fetch_all(n, fetch))
        finally:
            await close()
        out.impl = impl
        return out
    body = {"W1": spawn, "W2": ping_pong, "W3": timers, "W6": future}[w]
    return await atimed(args.warmup, lambda: body(n))


WORKLOADS = {
    # id: (operations, what the code does)
    "W1": (100_000, "create_task + sleep(0) + gather"),
    "W1c": (100_000, "create_task + sleep(0) + gather, cold"),
    "W2": (200_000, "two tasks, two asyncio.Queue: put_nowait / get"),
    "W3": (100_000, "create_task + sleep(d) + gather"),
    "W3m": (1_000_000, "tasks parked in sleep(3600)"),
    "W4": (100_000, "run_in_executor on ThreadPoolExecutor(8) + gather"),
    "W6": (1_000_000, "create_future + set_result + await"),
    "W7": (10_000, "16 tasks: HTTP GET"),
}


def parse_args():
    p = argparse.ArgumentParser(description="goasyncio's benchmark workloads on asyncio or uvloop")
    p.add_argument("--loop", choices=["asyncio", "uvloop"], default="asyncio")
    p.add_argument("--warmup", type=int, default=1, help="untimed runs before the timed one")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the workload's size by this factor")
    p.add_argument("--url", help="the loopback URL that W7 requests")
    p.add_argument("--client", choices=["aiohttp", "urllib"], default="aiohttp",
                   help="W7's HTTP client; without aiohttp, urllib through to_thread")
    p.add_argument("workload", choices=sorted(WORKLOADS))
    args = p.parse_args()
    if args.warmup < 0 or args.scale <= 0:
        p.error("--warmup must be >= 0 and --scale > 0")
    if args.workload == "W7" and not args.url:
        p.error("W7 needs --url")
    return args


def loop_factory(name):
    if name == "uvloop":
        import uvloop
        return uvloop.new_event_loop
    return asyncio.new_event_loop


def run():
    args = parse_args()
    ops, impl = WORKLOADS[args.workload]
    n = max(1, int(ops * args.scale))

    def measure():
        with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
            return runner.run(main(args, n))

    return emit(args.loop, args.workload, impl, n, measure)


if __name__ == "__main__":
    sys.exit(run())

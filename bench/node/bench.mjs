// The goasyncio benchmark workloads written for Node.js, with its standard
// library only.
//
// Usage: node --expose-gc bench.mjs [--warmup N] [--scale F] [--url URL] WORKLOAD
//
// Runs one workload (W1 to W7, W1c or W3m) and prints one JSON line with the
// fields of bench/internal/record. The workload runs --warmup times
// untimed, then once timed; W1c (W1 in a fresh process) and W3m run once,
// cold. --expose-gc lets W3m
// collect garbage before it reads the resident set size.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const HTTP_IN_FLIGHT = 16;
const WANT_BODY = 'pong\n';

class Failure extends Error {}

// sumTo returns 0 + 1 + ... + n-1, the sum of n task indices.
const sumTo = (n) => (n * (n - 1)) / 2;

function checkSum(total, want) {
  if (total !== want) throw new Failure(`sum ${total}, want ${want}`);
  return `sum ${total}`;
}

// W1: n async functions each yield to the event loop once and return their
// index; Promise.all gathers them.
async function spawn(n) {
  const child = async (i) => {
    await yieldToLoop();
    return i;
  };
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(child(i));
  const vals = await Promise.all(tasks);
  return checkSum(vals.reduce((a, b) => a + b, 0), sumTo(n));
}

// An AsyncQueue is an unbounded FIFO queue whose get returns a promise: the
// usual promise-based queue, as asyncio.Queue is for Python.
class AsyncQueue {
  #items = [];
  #getters = [];

  put(v) {
    const getter = this.#getters.shift();
    if (getter) getter(v);
    else this.#items.push(v);
  }

  get() {
    if (this.#items.length > 0) return Promise.resolve(this.#items.shift());
    return new Promise((resolve) => this.#getters.push(resolve));
  }
}

// W2: a driver and an echo function bounce a counter through two queues.
async function pingPong(n) {
  const ping = new AsyncQueue();
  const pong = new AsyncQueue();
  const echo = async () => {
    for (let v; (v = await ping.get()) >= 0; ) pong.put(v + 1);
  };
  const driver = async () => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      ping.put(i);
      total += await pong.get();
    }
    ping.put(-1);
    return total;
  };
  const [total] = await Promise.all([driver(), echo()]);
  return checkSum(total, sumTo(n + 1));
}

// lcgDurationsUs returns W3's n sleep durations in microseconds, in
// [0, 1 000 000), from the 32-bit linear congruential generator of Numerical
// Recipes (a = 1664525, c = 1013904223, seed 1), as in the Go and Python
// programs.
function lcgDurationsUs(n) {
  const out = new Array(n);
  let state = 1;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = Math.floor((state * 1e6) / 4294967296);
  }
  return out;
}

// W3: n async functions each sleep for one of the LCG's durations; Node's
// timers have a resolution of a millisecond.
async function timers(n) {
  const child = async (i, ms) => {
    await sleep(ms);
    return i;
  };
  const tasks = lcgDurationsUs(n).map((us, i) => child(i, us / 1000));
  const vals = await Promise.all(tasks);
  return checkSum(vals.reduce((a, b) => a + b, 0), sumTo(n));
}

// W3m: park n async functions in a long sleep and return the growth of the
// resident set per function. They end with the process.
async function park(n) {
  let parked = 0;
  const child = async () => {
    parked++;
    await sleep(3_600_000);
  };
  const start = process.hrtime.bigint();
  const before = residentBytes();
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(child());
  const during = residentBytes();
  if (parked !== n) throw new Failure(`${parked} functions parked, want ${n}`);
  const wallNs = Number(process.hrtime.bigint() - start);
  return { check: `${n} functions parked`, wallNs, bytesPerTask: (during - before) / n, exit: true };
}

// An ExecutorPool runs calls of a trivial function on worker threads,
// Node's counterpart of a thread pool executor: each call is a message to a
// worker, and its result a message back.
class ExecutorPool {
  #workers;
  #pending = new Map();
  #next = 0;

  constructor(size) {
    const code = `
      const { parentPort } = require('node:worker_threads');
      const identity = (i) => i;
      parentPort.on('message', (i) => parentPort.postMessage(identity(i)));`;
    this.#workers = Array.from({ length: size }, () => {
      const w = new Worker(code, { eval: true });
      w.on('message', (v) => {
        const resolve = this.#pending.get(v);
        this.#pending.delete(v);
        resolve(v);
      });
      return w;
    });
  }

  // call runs identity(i) on the next worker, round robin.
  call(i) {
    const w = this.#workers[this.#next];
    this.#next = (this.#next + 1) % this.#workers.length;
    return new Promise((resolve) => {
      this.#pending.set(i, resolve);
      w.postMessage(i);
    });
  }

  close() {
    return Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

// W4: n trivial calls on a pool of 8 worker threads, gathered.
async function executor(n, pool) {
  const calls = [];
  for (let i = 0; i < n; i++) calls.push(pool.call(i));
  const vals = await Promise.all(calls);
  return checkSum(vals.reduce((a, b) => a + b, 0), sumTo(n));
}

// W5: a generator and its caller switch to each other n times in all: each
// next() is a switch into the generator, each yield one out of it.
function switches(n) {
  function* counter() {
    for (let i = 0; ; i++) yield i;
  }
  const gen = counter();
  let total = 0;
  for (let k = 0; k < n / 2; k++) total += gen.next().value;
  return checkSum(total, sumTo(n / 2));
}

// W6: n times, create a promise, resolve it and await it.
async function future(n) {
  let total = 0;
  for (let i = 0; i < n; i++) {
    let resolve;
    const p = new Promise((r) => {
      resolve = r;
    });
    resolve(i);
    total += await p;
  }
  return checkSum(total, sumTo(n));
}

const agent = new http.Agent({ keepAlive: true, maxSockets: HTTP_IN_FLIGHT });

// get requests url and resolves to the response body as a string.
function get(url) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Failure(`GET ${url}: ${res.statusCode}`));
          else resolve(Buffer.concat(chunks).toString());
        });
      })
      .on('error', reject);
  });
}

// W7: 16 async functions share n requests.
async function fetchAll(n, url) {
  let left = n;
  const worker = async () => {
    let done = 0;
    while (left > 0) {
      left--;
      const body = await get(url);
      if (body !== WANT_BODY) throw new Failure(`body ${JSON.stringify(body)}, want ${JSON.stringify(WANT_BODY)}`);
      done++;
    }
    return done;
  };
  const counts = await Promise.all(Array.from({ length: HTTP_IN_FLIGHT }, worker));
  const total = counts.reduce((a, b) => a + b, 0);
  if (total !== n) throw new Failure(`${total} requests answered, want ${n}`);
  return `${total} responses checked`;
}

function procStatus(key) {
  for (const line of readFileSync('/proc/self/status', 'utf8').split('\n')) {
    if (line.startsWith(key)) return Number(line.split(/\s+/)[1]) * 1024;
  }
  return 0;
}

// residentBytes returns the resident set size after a full collection when
// node runs with --expose-gc.
function residentBytes() {
  globalThis.gc?.();
  return procStatus('VmRSS:');
}

async function timed(warmup, body) {
  for (let i = 0; i < warmup; i++) await body();
  const start = process.hrtime.bigint();
  const check = await body();
  return { check, wallNs: Number(process.hrtime.bigint() - start) };
}

const WORKLOADS = {
  W1: [100_000, 'async fn + await setImmediate() + Promise.all'],
  W1c: [100_000, 'async fn + await setImmediate() + Promise.all, cold'],
  W2: [200_000, 'two async fns, two promise-based queues'],
  W3: [100_000, 'async fn + await setTimeout(ms) + Promise.all'],
  W3m: [1_000_000, 'async fns parked in await setTimeout(1h)'],
  W4: [100_000, '8 worker_threads, a postMessage per call + Promise.all'],
  W5: [1_000_000, 'generator: next() / yield'],
  W6: [1_000_000, 'new Promise + resolve + await'],
  W7: [10_000, '16 async fns: http.get, keep-alive agent'],
};

async function measure(id, n, opts) {
  switch (id) {
    case 'W3m':
      return park(n);
    case 'W1c':
      return timed(0, () => spawn(n));
    case 'W4': {
      const pool = new ExecutorPool(8);
      try {
        return await timed(opts.warmup, () => executor(n, pool));
      } finally {
        await pool.close();
      }
    }
    case 'W7':
      try {
        return await timed(opts.warmup, () => fetchAll(n, opts.url));
      } finally {
        agent.destroy();
      }
    default: {
      const body = { W1: spawn, W2: pingPong, W3: timers, W5: switches, W6: future }[id];
      return timed(opts.warmup, () => body(n));
    }
  }
}

function usage(msg) {
  console.error(`bench.mjs: ${msg}`);
  console.error(`usage: node --expose-gc bench.mjs [--warmup N] [--scale F] [--url URL] ${Object.keys(WORKLOADS).join('|')}`);
  process.exit(2);
}

async function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: { warmup: { type: 'string', default: '1' }, scale: { type: 'string', default: '1' }, url: { type: 'string' } },
    });
  } catch (e) {
    usage(e.message);
  }
  const { values, positionals } = parsed;
  const opts = { warmup: Number(values.warmup), scale: Number(values.scale), url: values.url };
  if (positionals.length !== 1 || !(positionals[0] in WORKLOADS)) usage('one workload expected');
  if (!(opts.warmup >= 0) || !(opts.scale > 0)) usage('--warmup must be >= 0 and --scale > 0');
  const id = positionals[0];
  if (id === 'W7' && !opts.url) usage('W7 needs --url');

  const [ops, impl] = WORKLOADS[id];
  let n = Math.max(1, Math.floor(ops * opts.scale));
  if (id === 'W5') n -= n % 2; // switches come in pairs
  const rec = { runtime: 'node', workload: id, impl, ops: n, wall_ns: 0, ns_per_op: 0, rss_peak_bytes: 0, ok: false, check: '' };
  let out;
  try {
    out = await measure(id, n, opts);
    Object.assign(rec, { ok: true, check: out.check, wall_ns: out.wallNs, ns_per_op: out.wallNs / n });
    if (out.bytesPerTask) rec.bytes_per_task = out.bytesPerTask;
  } catch (e) {
    rec.check = `${e.name}: ${e.message}`;
  }
  rec.rss_peak_bytes = procStatus('VmHWM:');
  process.stdout.write(JSON.stringify(rec) + '\n', () => {
    if (!rec.ok) console.error(`node ${id}: ${rec.check}`);
    // W3m leaves its functions parked; nothing else is left running.
    if (out?.exit || !rec.ok) process.exit(rec.ok ? 0 : 1);
  });
}

main();

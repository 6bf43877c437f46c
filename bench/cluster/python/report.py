"""The report of bench/cluster: the table of medians from results.jsonl.

    /usr/bin/python3 report.py --in results.jsonl --meta meta.tsv --md RESULTS.md

prints the table on stdout and, with --md, writes it with the machine and
the command (from --meta: one "key<TAB>value" line each) to a Markdown
file. A record with an "error" field is a failed run: it is counted, and
listed under the table. Exit status 1 if a run failed.
"""

import argparse
import json
import statistics
import sys

ORDER = ["goasyncio", "goasyncio-c64", "celery", "rq", "rq-simple", "dask"]  # rows first in this order, then the rest
BASELINE = "celery"
NOTES = {  # under the table, for the systems in it
    "goasyncio": "goasyncio: futures/cluster on NATS JetStream (bench/cluster/goclient); each worker "
                 "runs 2 calls at once, its default (the number of CPUs), as Celery's pool of 2 processes does; "
                 "its warm-up is 200 calls one at a time.",
    "goasyncio-c64": "goasyncio-c64: the same with 64 calls at once per worker (WorkerOptions.Concurrency), "
                     "which goroutines make cheap.",
    "celery": "celery: Redis as broker and result backend; one worker, prefork pool of 2 processes.",
    "rq": "rq: RQ's default worker, which forks a work horse for every job; on this machine a fork "
          "and the copy-on-write faults that follow cost 10 to 60 ms, so rq runs fewer calls "
          "(RQ_CALLS, RQ_SEQ in bench/cluster/run).",
    "rq-simple": "rq-simple: RQ's SimpleWorker, which runs the jobs in the worker process, without the fork.",
    "dask": "dask: no Redis: a scheduler process and 2 worker processes of one thread, without nannies.",
}


def _fmt(x, digits):
    return f"{x:,.{digits}f}"


def _submit(records):
    """Return the median share of the burst's time spent submitting, if
    the records say."""
    shares = [r["submit_s"] / r["burst_s"] for r in records if "submit_s" in r and r.get("burst_s")]
    return f"{statistics.median(shares):.0%}" if shares else ""


def _rows(records):
    by = {}
    for r in records:
        by.setdefault(r["system"], []).append(r)
    names = [s for s in ORDER if s in by] + sorted(s for s in by if s not in ORDER)
    base = None
    ok_base = [r for r in by.get(BASELINE, []) if "error" not in r]
    if ok_base:
        base = statistics.median(r["burst_calls_per_s"] for r in ok_base)
    rows = []
    for name in names:
        ok = [r for r in by[name] if "error" not in r]
        runs = f"{len(ok)} of {len(by[name])}"
        if not ok:
            rows.append([name, "", "", "", "failed", "", "", "", "", runs])
            continue
        burst = statistics.median(r["burst_calls_per_s"] for r in ok)
        calls = sorted({f"{r['burst_calls']:,} / {r['seq_calls']:,}" for r in ok})
        ratio = f"{burst / base:.2f}" if base else "n/a"
        rows.append([
            name, ok[-1]["version"], str(ok[-1]["workers"]), ", ".join(calls), _fmt(burst, 0),
            _submit(ok),
            _fmt(statistics.median(r["p50_ms"] for r in ok), 2),
            _fmt(statistics.median(r["p99_ms"] for r in ok), 2), ratio, runs,
        ])
    return rows


def table(records):
    """Return the Markdown table of medians of records."""
    head = ["system", "version", "workers", "calls (burst / seq)", "burst calls/s", "of which submitting",
            "p50 ms", "p99 ms", "burst ÷ Celery's", "runs ok"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" if i >= 4 else "---" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in _rows(records)]
    return "\n".join(lines)


def failures(records):
    """Return the Markdown list of the failed runs, or an empty string."""
    return "\n".join(f"- {r['system']}: {r['error']}" for r in records if "error" in r)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--in", dest="inp", required=True, help="results.jsonl")
    p.add_argument("--meta", help="key<TAB>value lines about the machine and the run")
    p.add_argument("--md", help="write the report to this Markdown file")
    args = p.parse_args()
    with open(args.inp) as f:
        records = [json.loads(line) for line in f if line.strip()]
    if not records:
        print("report: no records", file=sys.stderr)
        return 2
    tab, failed = table(records), failures(records)
    print(tab)
    if failed:
        print("\nfailed runs:\n" + failed)
    if args.md:
        meta = []
        if args.meta:
            with open(args.meta) as f:
                meta = [line.rstrip("\n").split("\t", 1) for line in f if "\t" in line]
        with open(args.md, "w") as f:
            f.write("# bench/cluster: no-op calls through a distributed task queue, on one machine\n\n")
            f.write("Medians over the runs. Burst: calls submitted at once, divided by the wall time from "
                    "the first submit to the last result; of which submitting: the share of that time "
                    "until the last call was submitted. p50 and p99: one call at a time, submit to "
                    "result. Every result was checked. See README.md for what each system runs.\n\n")
            f.write(tab + "\n\n")
            present = {r["system"] for r in records}
            f.write("".join(f"- {NOTES[s]}\n" for s in ORDER if s in present and s in NOTES))
            if failed:
                f.write("\nFailed runs:\n\n" + failed + "\n")
            f.write("\n## The run\n\n")
            for key, value in meta:
                f.write(f"- {key}: {value}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

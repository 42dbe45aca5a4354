#!/usr/bin/env python3
"""The macro benchmark (issue 5): one command for the figures users choose a log store by.

For a seeded generated data set (app NDJSON, nginx access log or syslog; `--file` takes any
file, e.g. shared/corpus logs) it measures, each figure the median of several runs with the
spread shown:
  ingest logs/s and MB/s (`strata ingest`, fsync interval; optionally pinned to one core),
  bytes on disk (segments, index, total) and raw/disk, beside gzip -6 and zstd -19 of the raw,
  query latency median and p95 (`strata query --repeat`, in-process) for the query issue's list,
  server start-up (the `ready in` of `strata serve`) on the data directory.
It prints a table and writes JSON (--json). With --check BUDGETS it compares the figures with
Benchmarks/budgets.json: DESIGN §5's budgets (printed; fatal with --strict) and the regression
floor CI enforces (fatal); it exits 1 naming every fatal miss.

Usage: tools/bench.py [--kind app|nginx|syslog | --file PATH] [--lines N] [--runs R]
                      [--repeat Q] [--one-core] [--json OUT] [--check Benchmarks/budgets.json]
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--kind", choices=("app", "nginx", "syslog"), default="app")
ap.add_argument("--file", help="measure this file instead of generated data (NDJSON if it ends in .ndjson/.json, else raw lines)")
ap.add_argument("--lines", type=int, default=1_000_000)
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--repeat", type=int, default=9)
ap.add_argument("--one-core", action="store_true", help="pin ingest to CPU 0 (DESIGN's 'on one core')")
ap.add_argument("--bin", default=".build/release")
ap.add_argument("--work", default=os.environ.get("BENCH_DIR", "/tmp/strata-bench"))
ap.add_argument("--json")
ap.add_argument("--check")
ap.add_argument("--strict", action="store_true", help="also fail on missed design budgets")
args = ap.parse_args()
strata, segtool = os.path.join(args.bin, "strata"), os.path.join(args.bin, "segtool")
os.makedirs(args.work, exist_ok=True)


def spread(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "runs": len(xs)}


# 1. The data.
if args.file:
    raw, fmt, label = args.file, ("ndjson" if args.file.endswith((".ndjson", ".json")) else "raw"), os.path.basename(args.file)
else:
    raw = os.path.join(args.work, f"bench-{args.kind}-{args.lines}.log")
    if not os.path.exists(raw):
        extra = ["--rate", str(args.lines / 86400)] if args.kind == "app" else []
        subprocess.run([sys.executable, "tools/gen-logs.py", "--kind", args.kind, "--count", str(args.lines), "--seed", "7", "--out", raw] + extra, check=True)
    fmt, label = {"app": "ndjson", "syslog": "syslog", "nginx": "nginx"}.get(args.kind, "raw"), f"{args.kind} x {args.lines}"
raw_bytes = os.path.getsize(raw)
lines = sum(1 for _ in open(raw, "rb"))
data = os.path.join(args.work, "bench-data")

# 2. Ingest, several runs; the last run's directory is kept for the rest.
rates, mbs = [], []
for _ in range(args.runs):
    shutil.rmtree(data, ignore_errors=True)
    cmd = [strata, "ingest", "--data-dir", data, "--fsync", "interval", "--format", fmt, "--quiet", raw]
    if fmt in ("raw", "nginx"):
        cmd[-1:-1] = ["--service", label.split()[0]]
    if args.one_core and shutil.which("taskset"):
        cmd = ["taskset", "-c", "0"] + cmd
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    secs = time.perf_counter() - t0
    m = re.search(r"\((\d+) logs/s", out)
    rates.append(int(m.group(1)) if m else lines / secs)
    mbs.append(raw_bytes / secs / 1e6)

# 3. Bytes.
def files_bytes(d):
    return sum(os.path.getsize(os.path.join(p, f)) for p, _, fs in os.walk(d) for f in fs)
disk = files_bytes(data)
inspect = subprocess.run([segtool, "inspect", data], capture_output=True, text=True, check=True).stdout
index = sum(int(m.group(1)) + int(m.group(2)) for m in re.finditer(r"index bytes\s+Bloom filters (\d+), term indexes (\d+)", inspect))
gzip6 = len(subprocess.run(["gzip", "-6", "-c", raw], capture_output=True, check=True).stdout)
zstd19 = len(subprocess.run(["zstd", "-19", "-T0", "-c", raw], capture_output=True, check=True).stdout)

# 4. Queries (newest 100 hits, in-process, `repeat` runs each).
def first(pattern, group=1):
    with open(raw, "r", errors="replace") as f:
        for i, l in enumerate(f):
            if i >= lines // 2:
                m = re.search(pattern, l)
                if m:
                    return m.group(group)
    return None

queries = []
if fmt == "ndjson" and not args.file:
    kid, trace = first(r"kid ([0-9a-f]+) not found"), first(r'"trace_id":"([0-9a-f]+)"')
    last = open(raw, "rb").read()[-400:].decode(errors="replace")
    end = re.findall(r'"timestamp":"([^"]+)"', last)[-1]
    from datetime import datetime, timedelta
    hour_ago = (datetime.fromisoformat(end.replace("Z", "+00:00")) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    queries = [("rare term", kid, None, "term"), ("trace-id lookup", f"trace_id:{trace}", None, "term"),
               ("common-term count", "error | stats count()", None, "recent"), ("3-word phrase, top 100", '"logged in from"', None, "recent"),
               ("level:ERROR AND service:X, last hour", "level:ERROR AND service:checkout", hour_ago, "recent"),
               ("stats count() by service", "* | stats count() by service", None, "stats"),
               ("stats count() by bucket(1m)", "* | stats count() by bucket(1m)", None, "stats")]
elif args.kind == "nginx" and not args.file:
    queries = [("common-term count", "post | stats count()", None, "recent"), ("phrase, top 100", '"GET /products"', None, "recent"),
               ("term, top 100", "favicon", None, "term"), ("stats count() by service", "* | stats count() by service", None, "stats")]
else:
    queries = [("common-term count", "error | stats count()", None, "recent"), ("term, top 100", "failed", None, "term"),
               ("stats count() by host", "* | stats count() by host", None, "stats")]
qresults = []
for name, q, frm, kind in queries:
    if q is None or q.endswith(":None"):
        continue
    cmd = [strata, "query", "--data-dir", data, "--limit", "100", "--explain", "--repeat", str(args.repeat)]
    if frm:
        cmd += ["--from", frm]
    cmd.append(q)
    err = subprocess.run(cmd, capture_output=True, text=True).stderr
    med, p95 = re.search(r"median ([0-9.]+) ms", err), re.search(r"p95 ([0-9.]+) ms", err)
    total = re.search(r"total (\d+) matches", err)
    qresults.append({"name": name, "query": q, "kind": kind, "median_ms": float(med.group(1)) if med else None,
                     "p95_ms": float(p95.group(1)) if p95 else None, "matches": int(total.group(1)) if total else None})

# 5. Server start-up on this directory.
starts = []
for _ in range(args.runs):
    p = subprocess.Popen([strata, "serve", "--data-dir", data, "--http", "127.0.0.1:0"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    m = None
    for line in p.stderr:   # Hummingbird logs a line of its own first
        m = re.search(r"ready in ([0-9.]+) ms", line)
        if m or "strata: listening on" in line:
            break
    p.terminate()
    p.wait()
    if m:
        starts.append(float(m.group(1)))

result = {
    "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())},
    "data": {"label": label, "lines": lines, "raw_bytes": raw_bytes, "format": fmt},
    "ingest": {"logs_per_second": spread(rates), "mb_per_second": spread(mbs), "one_core": args.one_core},
    "bytes": {"disk": disk, "index": index, "data": disk - index, "raw_over_disk": raw_bytes / disk,
              "index_percent_of_raw": 100 * index / raw_bytes, "gzip6": gzip6, "raw_over_gzip6": raw_bytes / gzip6,
              "zstd19": zstd19, "raw_over_zstd19": raw_bytes / zstd19},
    "queries": qresults,
    "server_start_ms": spread(starts) if starts else None,
}

# 6. Table.
def row(k, v):
    print(f"| {k:44} | {v:>40} |")
print(f"| {'figure (' + label + ', ' + str(args.runs) + ' runs)':44} | {'median [min … max]':>40} |")
print(f"|{'-' * 46}|{'-' * 42}|")
ls = result["ingest"]["logs_per_second"]
row("ingest logs/s" + (" (one core)" if args.one_core else ""), f"{ls['median']:,.0f} [{ls['min']:,.0f} … {ls['max']:,.0f}]")
ms = result["ingest"]["mb_per_second"]
row("ingest MB/s", f"{ms['median']:.1f} [{ms['min']:.1f} … {ms['max']:.1f}]")
b = result["bytes"]
row("raw bytes", f"{raw_bytes:,}")
row("on disk: data + index = total", f"{b['data']:,} + {b['index']:,} = {disk:,}")
row("raw/disk (strata)", f"{b['raw_over_disk']:.2f}:1")
row("raw/gzip -6, raw/zstd -19", f"{b['raw_over_gzip6']:.2f}:1, {b['raw_over_zstd19']:.2f}:1")
row("index % of raw", f"{b['index_percent_of_raw']:.2f}%")
for q in qresults:
    row(f"query: {q['name']}", f"{q['median_ms']} ms (p95 {q['p95_ms']}, {q['matches']} matches)")
if starts:
    s = result["server_start_ms"]
    row("server start-up", f"{s['median']:.1f} ms [{s['min']:.1f} … {s['max']:.1f}]")
row("agent RSS / CPU", "not measured: the agent does not exist yet")
if args.json:
    with open(args.json, "w") as f:
        json.dump(result, f, indent=2)

# 7. Budgets: every tier of budgets.json; a missed `floor` fails, a missed `design` budget
# fails only with --strict (it is printed either way).
if args.check:
    budgets = json.load(open(args.check))
    failed = []
    for tier in ("design", "floor"):
        bud = budgets[tier]
        misses = []
        def need(ok, what):
            print(f"  {'ok  ' if ok else 'MISS'} {what}")
            if not ok:
                misses.append(what)
        print(f"\n{tier} budgets ({args.check}):")
        need(ls["median"] >= bud["ingest_logs_per_second_min"], f"ingest {ls['median']:,.0f} logs/s >= {bud['ingest_logs_per_second_min']:,}")
        need(b["raw_over_disk"] >= bud["raw_over_disk_min"], f"raw/disk {b['raw_over_disk']:.2f} >= {bud['raw_over_disk_min']}")
        if bud.get("beat_zstd19"):
            need(b["raw_over_disk"] >= b["raw_over_zstd19"], f"raw/disk {b['raw_over_disk']:.2f} >= zstd -19's {b['raw_over_zstd19']:.2f}")
        need(b["index_percent_of_raw"] < bud["index_percent_of_raw_max"], f"index {b['index_percent_of_raw']:.2f}% of raw < {bud['index_percent_of_raw_max']}%")
        for q in qresults:
            limit = bud["term_query_ms_max"] if q["kind"] == "term" else bud["recent_query_ms_max"] if q["kind"] == "recent" else bud["stats_query_ms_max"]
            need(q["median_ms"] is not None and q["median_ms"] < limit, f"query {q['name']}: {q['median_ms']} ms < {limit} ms")
        if starts:
            need(result["server_start_ms"]["median"] < bud["server_start_ms_max"], f"server start {result['server_start_ms']['median']:.1f} ms < {bud['server_start_ms_max']} ms")
        if misses:
            print(f"  {len(misses)} {tier} budget(s) missed: " + "; ".join(misses))
            if tier == "floor" or args.strict:
                failed += misses
    print("\nagent budgets: " + budgets["agent"]["_status"])
    if failed:
        sys.exit(1)

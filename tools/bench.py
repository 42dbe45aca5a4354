#!/usr/bin/env python3
"""The macro benchmark (issue 5): one command for the figures users choose a log store by.

For a seeded generated data set (app NDJSON, nginx access log or syslog; `--file` takes any
file, e.g. shared/corpus logs) it measures, each figure the median of several runs with the
spread shown:
  ingest logs/s and MB/s (`strata ingest`, fsync interval; optionally pinned to one core),
  bytes on disk (segments, index, total) and raw/disk, beside gzip -6 and zstd -19 of the raw,
  query latency median and p95 (`strata query --repeat`, in-process) for the query issue's list,
  server start-up (the `ready in` of `strata serve`) on the data directory, and with
    --many-segments on the same data in one-minute partitions (thousands of segments),
  the agent's figures (RSS/CPU at a fixed rate, start-up, maximum rate) from the JSON of
    tools/bench-agent.py (--agent-json; `make bench` runs it first).
It prints a table and writes JSON (--json). With --check BUDGETS it compares the figures with
Benchmarks/budgets.json: DESIGN §5's budgets (printed; fatal with --strict) and the regression
floor CI enforces (fatal); it exits 1 naming every fatal miss.

Usage: tools/bench.py [--kind app|nginx|syslog | --file PATH] [--lines N] [--runs R]
                      [--repeat Q] [--one-core] [--many-segments] [--agent-json F] [--json OUT]
                      [--check Benchmarks/budgets.json] [--strict]
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
ap.add_argument("--many-segments", action="store_true", help="also time server start-up on the data cut into thousands of segments")
ap.add_argument("--agent-json", help="the JSON of tools/bench-agent.py (make bench runs it first) for the agent row and budgets")
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

# 5. Server start-up on this directory (and, with --many-segments, on the same data cut into
# one-minute partitions and small flushes: thousands of segments, the lazy-open case).
def start_ms(directory):
    p = subprocess.Popen([strata, "serve", "--data-dir", directory, "--http", "127.0.0.1:0"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    m = None
    for line in p.stderr:   # Hummingbird logs a line of its own first
        m = re.search(r"ready in ([0-9.]+) ms", line)
        if m or "strata: listening on" in line:
            break
    p.terminate()
    p.wait()
    return float(m.group(1)) if m else None

starts = [x for x in (start_ms(data) for _ in range(args.runs)) if x is not None]
many = None
if args.many_segments:
    many_dir = os.path.join(args.work, "bench-data-many")
    shutil.rmtree(many_dir, ignore_errors=True)
    cmd = [strata, "ingest", "--data-dir", many_dir, "--fsync", "interval", "--format", fmt, "--quiet",
           "--partition-minutes", "1", "--memtable-mb", "4", raw]
    if fmt in ("raw", "nginx"):
        cmd[-1:-1] = ["--service", label.split()[0]]
    subprocess.run(cmd, capture_output=True, check=True)
    segments = sum(1 for _, _, fs in os.walk(many_dir) for f in fs if f.endswith(".seg"))
    many_starts = [x for x in (start_ms(many_dir) for _ in range(args.runs)) if x is not None]
    many = {"segments": segments, "bytes": files_bytes(many_dir), "start_ms": spread(many_starts) if many_starts else None}
    shutil.rmtree(many_dir, ignore_errors=True)

result = {
    "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())},
    "data": {"label": label, "lines": lines, "raw_bytes": raw_bytes, "format": fmt},
    "ingest": {"logs_per_second": spread(rates), "mb_per_second": spread(mbs), "one_core": args.one_core},
    "bytes": {"disk": disk, "index": index, "data": disk - index, "raw_over_disk": raw_bytes / disk,
              "index_percent_of_raw": 100 * index / raw_bytes, "gzip6": gzip6, "raw_over_gzip6": raw_bytes / gzip6,
              "zstd19": zstd19, "raw_over_zstd19": raw_bytes / zstd19},
    "queries": qresults,
    "server_start_ms": spread(starts) if starts else None,
    "server_start_many_segments": many,
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
if many and many["start_ms"]:
    s = many["start_ms"]
    row(f"server start-up, {many['segments']:,} segments", f"{s['median']:.1f} ms [{s['min']:.1f} … {s['max']:.1f}]")
agent = None
if args.agent_json and os.path.exists(args.agent_json):
    with open(args.agent_json) as f:
        agent = json.load(f)
    result["agent"] = agent
    st, su, mx = agent["steady"], agent["startup_seconds"], agent["max_rate"]
    win = st.get("cpu_percent_windows")
    row(f"agent at {st['rate_lines_per_s']:,.0f} lines/s: RSS", f"{st['rss_bytes_median'] / 2**20:.1f} MiB [max {st['rss_bytes_max'] / 2**20:.1f}]")
    row(f"agent at {st['rate_lines_per_s']:,.0f} lines/s: CPU", f"{st['cpu_percent_of_one_core']:.2f}% of one core"
        + (f" [{win['min']:.2f} … {win['max']:.2f} over {win['windows']} windows]" if win else ""))
    row("agent start-up to first line stored", f"{su['median'] * 1000:.0f} ms [{su['min'] * 1000:.0f} … {su['max'] * 1000:.0f}]")
    row("agent maximum rate", f"{mx['lines_per_s_median']:,.0f} lines/s [{mx['min']:,.0f} … {mx['max']:,.0f}], {mx['agent_cpu_us_per_line']:.2f} µs CPU/line")
else:
    row("agent RSS / CPU", "see make bench-agent (pass --agent-json to include it here)")
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
        if agent and tier == "design":
            ab = budgets["agent"]
            need(agent["steady"]["rss_bytes_max"] < ab["rss_mb_max"] * 2**20, f"agent RSS max {agent['steady']['rss_bytes_max'] / 2**20:.1f} MiB < {ab['rss_mb_max']} MiB")
            need(agent["steady"]["cpu_percent_of_one_core"] < ab["cpu_percent_max_at_10k_lines_per_second"],
                 f"agent CPU {agent['steady']['cpu_percent_of_one_core']:.2f}% < {ab['cpu_percent_max_at_10k_lines_per_second']}% at {agent['steady']['rate_lines_per_s']:,.0f} lines/s")
            need(agent["startup_seconds"]["median"] * 1000 < ab["start_ms_max"], f"agent start-up {agent['startup_seconds']['median'] * 1000:.0f} ms < {ab['start_ms_max']} ms")
        if misses:
            print(f"  {len(misses)} {tier} budget(s) missed: " + "; ".join(misses))
            if tier == "floor" or args.strict:
                failed += misses
    print("\nagent budgets: " + budgets["agent"]["_status"])
    if failed:
        sys.exit(1)

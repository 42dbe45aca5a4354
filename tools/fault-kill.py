#!/usr/bin/env python3
"""Crash harness (issue 5): runs the real `strata serve`, ingests with acknowledgements from
several client threads, kills the server with SIGKILL at a random moment, checks the data
directory with `segtool verify`, restarts, and repeats. At the end every acknowledged batch must
be stored exactly once and whole (batches are atomic), and nothing else may be damaged.

Usage: tools/fault-kill.py [--iterations N] [--seed S] [--data-dir DIR] [--bin .build/release]
Exit status 0 only if every check passed; the summary line says what was checked.
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from serverproc import replay_and_count, start_server

ap = argparse.ArgumentParser()
ap.add_argument("--iterations", type=int, default=50)
ap.add_argument("--seed", type=int, default=1)
ap.add_argument("--data-dir")
ap.add_argument("--bin", default=".build/release")
ap.add_argument("--threads", type=int, default=3)
ap.add_argument("--batch", type=int, default=20)
args = ap.parse_args()
rng = random.Random(args.seed)
strata = os.path.join(args.bin, "strata")
segtool = os.path.join(args.bin, "segtool")
data = args.data_dir or tempfile.mkdtemp(prefix="strata-fault-")
if args.data_dir and os.path.exists(data):
    shutil.rmtree(data)




acked = set()          # (iteration, thread, batch)
acked_lock = threading.Lock()


def client(port, it, th, stop):
    b = 0
    while not stop.is_set():
        body = "\n".join(json.dumps({"message": f"fault it={it} th={th} b={b} k={k}", "service": "fault",
                                     "it": it, "th": th, "b": b, "k": k}) for k in range(args.batch))
        req = urllib.request.Request(f"http://127.0.0.1:{port}/api/logs", data=body.encode(), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                reply = json.loads(r.read())
                if r.status == 200 and reply.get("accepted") == args.batch:
                    with acked_lock:
                        acked.add((it, th, b))
        except (urllib.error.URLError, ConnectionError, OSError, json.JSONDecodeError):
            return   # the server died mid-request: this batch is not acknowledged
        b += 1


verifies = 0
for it in range(args.iterations):
    server, port = start_server(strata, data)
    stop = threading.Event()
    threads = [threading.Thread(target=client, args=(port, it, th, stop)) for th in range(args.threads)]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(0.05, 0.6))   # the random crash point
    server.send_signal(signal.SIGKILL)
    server.wait()
    stop.set()
    for t in threads:
        t.join()
    v = subprocess.run([segtool, "verify", data], capture_output=True, text=True)
    if v.returncode != 0:
        sys.exit(f"iteration {it}: segtool verify found damage:\n{v.stdout}{v.stderr}")
    verifies += 1

# Final: restart (replays the WAL), stop gracefully, count every batch.
stored = replay_and_count(strata, data, "service:fault | stats count() by it, th, b | limit 10000000",
                          lambda r: (r["it"], r["th"], r["b"]))
missing = [k for k in acked if k not in stored]
partial = {k: n for k, n in stored.items() if n != args.batch}
v = subprocess.run([segtool, "verify", data], capture_output=True, text=True)
print(f"fault-kill: {args.iterations} SIGKILLs, {len(acked)} acknowledged batches ({len(acked) * args.batch} entries), "
      f"{len(stored)} stored batches, {len(missing)} acknowledged but missing, {len(partial)} partial or duplicated, "
      f"{verifies + 1} verify runs, final verify exit {v.returncode}")
if missing or partial or v.returncode != 0:
    print("missing:", sorted(missing)[:20], "partial:", list(partial.items())[:20], v.stdout[-2000:])
    sys.exit(1)
if not args.data_dir:
    shutil.rmtree(data)

#!/usr/bin/env python3
"""Bit-flip harness (issue 5): flips single bits at random offsets of every section of real
segments (header, block chunks, term indexes, block index, footer) and of the MANIFEST, and
checks, for every flip, that

- `segtool verify` exits 1 and names the damaged file (nothing goes unnoticed), and
- `strata query` over the damaged directory never crashes: it answers, or fails with an error
  that names the file (a flip in a chunk the query does not read may go unseen by it).

The file is restored after each flip. Usage:
  tools/fault-bitflip.py [--flips-per-section N] [--seed S] [--bin .build/debug]
Exit status 0 only if every flip was detected by verify and no process crashed.
"""
import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--flips-per-section", type=int, default=25)
ap.add_argument("--seed", type=int, default=3)
ap.add_argument("--bin", default=".build/debug")
ap.add_argument("--lines", type=int, default=30000)
args = ap.parse_args()
rng = random.Random(args.seed)
strata, segtool = os.path.join(args.bin, "strata"), os.path.join(args.bin, "segtool")
work = tempfile.mkdtemp(prefix="strata-bitflip-")
raw, data = os.path.join(work, "app.ndjson"), os.path.join(work, "data")
subprocess.run([sys.executable, "tools/gen-logs.py", "--kind", "app", "--count", str(args.lines), "--seed", "5",
                "--rate", str(args.lines / 7200), "--out", raw], check=True)
subprocess.run([strata, "ingest", "--data-dir", data, "--format", "ndjson", "--quiet", "--block-rows", "4096", raw],
               check=True, capture_output=True)
segments = sorted(os.path.join(p, f) for p, _, fs in os.walk(data) for f in fs if f.endswith(".seg"))
if not segments:
    sys.exit("no segments were written")

# Sections of each segment from segtool inspect; term indexes lie between the last block and
# the block index (inside "chunks" as inspect reports it, so they are sampled with the chunks).
targets = []   # (file, section name, start, end)
for seg in segments[:3]:
    out = subprocess.run([segtool, "inspect", seg], capture_output=True, text=True, check=True).stdout
    m = re.search(r"header (\d+)\.\.<(\d+), chunks (\d+)\.\.<(\d+), block index (\d+)\.\.<(\d+), footer (\d+)\.\.<(\d+)", out)
    h0, h1, c0, c1, i0, i1, f0, f1 = map(int, m.groups())
    targets += [(seg, "header", h0, h1), (seg, "chunks", c0, c1), (seg, "block index", i0, i1), (seg, "footer", f0, f1)]
manifest = os.path.join(data, "MANIFEST")
targets.append((manifest, "manifest", 0, os.path.getsize(manifest)))

flips = detected = crashes = 0
missed = []
per_section = {}
for path, section, start, end in targets:
    original = open(path, "rb").read()
    for _ in range(args.flips_per_section):
        off = rng.randrange(start, end)
        bit = rng.randrange(8)
        damaged = bytearray(original)
        damaged[off] ^= 1 << bit
        with open(path, "wb") as f:
            f.write(damaged)
        flips += 1
        v = subprocess.run([segtool, "verify", data], capture_output=True, text=True)
        name = os.path.basename(path)
        if v.returncode < 0 or "Fatal error" in v.stderr:
            crashes += 1
            missed.append(f"segtool verify crashed on {name} {section} @{off} bit {bit}")
        elif v.returncode == 1 and name in (v.stdout + v.stderr):
            detected += 1
            per_section[section] = per_section.get(section, 0) + 1
        else:
            missed.append(f"{name} {section} @{off} bit {bit}: verify exit {v.returncode}")
        for q in ("* | stats count() by service", "error", "level:ERROR AND service:checkout"):
            r = subprocess.run([strata, "query", "--data-dir", data, "--limit", "5", q], capture_output=True, text=True)
            if r.returncode < 0 or "Fatal error" in r.stderr:
                crashes += 1
                missed.append(f"strata query crashed on {name} {section} @{off} bit {bit}: {r.stderr[-300:]}")
            elif r.returncode != 0 and name not in r.stderr and "MANIFEST" not in r.stderr:
                missed.append(f"query error does not name {name} ({section} @{off}): {r.stderr.strip()[-200:]}")
    with open(path, "wb") as f:
        f.write(original)

final = subprocess.run([segtool, "verify", data], capture_output=True, text=True)
print(f"fault-bitflip: {flips} single-bit flips over {len(targets)} sections of {min(3, len(segments))} segments and the MANIFEST; "
      f"verify detected {detected} (by section: {per_section}); {crashes} crashes; "
      f"{len(missed)} problems; restored directory verifies with exit {final.returncode}")
for m in missed[:20]:
    print("  " + m)
shutil.rmtree(work)
sys.exit(0 if not missed and final.returncode == 0 else 1)

#!/usr/bin/env bash
# Server ingest benchmark (issue 4): the release server on a fresh data dir; wrk posts NDJSON
# batches of BATCH generated app lines for SECONDS over CONNS connections; every second the
# server's accepted count and RSS are sampled. Reports the median and min per-second rate, the
# peak RSS and the RSS after the first 10 s (flat RSS: the two stay close). Then syslog over TCP
# (octet-counted RFC 5424) and Fluentd forward (Forward mode, 1 000 records a message) rates.
# Usage: tools/bench-http.sh [SECONDS=60] [BATCH=1000] [CONNS=8] [FSYNC=always]
set -euo pipefail
SECONDS_RUN=${1:-60}
BATCH=${2:-1000}
CONNS=${3:-8}
FSYNC=${4:-always}
BIN=.build/release/strata
WORK=$(mktemp -d /tmp/strata-bench-http-XXXXXX)
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
bash tools/install-deps.sh wrk
python3 tools/gen-logs.py --kind app --count "$BATCH" --seed 3 --out "$WORK/batch.ndjson"
cat > "$WORK/post.lua" <<LUA
local f = io.open("$WORK/batch.ndjson", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/x-ndjson"
LUA
"$BIN" serve --data-dir "$WORK/data" --http 127.0.0.1:0 --syslog-tcp 127.0.0.1:0 --forward 127.0.0.1:0 --fsync "$FSYNC" 2> "$WORK/server.log" &
SERVER=$!
for _ in $(seq 100); do grep -q "listening on" "$WORK/server.log" && break; sleep 0.1; done
PORT=$(grep -o 'http://127.0.0.1:[0-9]*' "$WORK/server.log" | head -1 | cut -d: -f3)
SYSLOG=$(grep -o 'syslog tcp 127.0.0.1:[0-9]*' "$WORK/server.log" | cut -d: -f2)
FORWARD=$(grep -o 'forward 127.0.0.1:[0-9]*' "$WORK/server.log" | cut -d: -f2)
python3 - "$PORT" "$SERVER" "$SECONDS_RUN" "$WORK/samples.json" <<'PY' &
import json, sys, time, urllib.request
port, pid, secs, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
samples = []
for _ in range(secs + 2):
    t = time.time()
    try:
        st = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stats", timeout=5).read())
        rss = int([l for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS")][0].split()[1])
        samples.append((t, st["ingest"]["accepted_total"], rss))
    except Exception:
        pass
    time.sleep(max(0, 1 - (time.time() - t)))
json.dump(samples, open(out, "w"))
PY
SAMPLER=$!
wrk -t2 -c"$CONNS" -d"${SECONDS_RUN}s" -s "$WORK/post.lua" "http://127.0.0.1:$PORT/api/logs" > "$WORK/wrk.txt"
wait $SAMPLER
python3 - "$WORK/samples.json" "$WORK/wrk.txt" "$BATCH" "$CONNS" "$FSYNC" <<'PY'
import json, re, statistics, sys
samples = json.load(open(sys.argv[1])); wrk = open(sys.argv[2]).read(); batch = int(sys.argv[3])
rates = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(samples, samples[1:]) if b[1] > a[1] or a[1] > 0]
rates = [r for r in rates if r > 0]
rss = [s[2] for s in samples]
req = float(re.search(r"Requests/sec:\s+([0-9.]+)", wrk).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk)
print(f"HTTP NDJSON, batches of {batch}, {sys.argv[4]} connections, fsync {sys.argv[5]}: median {statistics.median(rates):,.0f} logs/s "
      f"(min {min(rates):,.0f}, max {max(rates):,.0f} over {len(rates)} one-second samples; wrk {req * batch:,.0f} logs/s), "
      f"non-2xx {errors.group(1) if errors else 0}; RSS after 10 s {rss[min(10, len(rss) - 1)] / 1024:.0f} MiB, "
      f"peak {max(rss) / 1024:.0f} MiB, end {rss[-1] / 1024:.0f} MiB")
print("RSS every 5 s (MiB):", " ".join(str(r // 1024) for r in rss[::5]))
PY
# Stream listeners: N messages as fast as one sender can write them; rate = N / time until stored.
python3 - "$PORT" "$SYSLOG" "$FORWARD" <<'PY'
import json, socket, struct, sys, time, urllib.request
port, syslog, forward = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def accepted():
    return json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/stats").read())["ingest"]["accepted_total"]
def timed(name, payload, n):
    base = accepted()
    s = socket.create_connection(("127.0.0.1", syslog if name.startswith("syslog") else forward))
    t0 = time.time()
    s.sendall(payload)
    s.close()
    while accepted() < base + n:
        time.sleep(0.02)
    dt = time.time() - t0
    print(f"{name}: {n:,} messages in {dt:.2f} s = {n / dt:,.0f} logs/s")
n = 500_000
frames = []
for i in range(n):
    m = f"<134>1 2026-11-29T10:00:00.{i % 1000000:06d}Z web-{i % 7} app {1000 + i % 50} - - GET /api/orders/{i} 200 in {i % 997}ms".encode()
    frames.append(str(len(m)).encode() + b" " + m)
timed("syslog tcp (octet-counted RFC 5424)", b"".join(frames), n)
def mp_str(s):
    b = s.encode()
    return (bytes([0xA0 | len(b)]) if len(b) < 32 else bytes([0xD9, len(b)])) + b
def record(i):
    return bytes([0x83]) + mp_str("message") + mp_str(f"GET /api/orders/{i} 200 in {i % 997}ms") + mp_str("level") + mp_str("info") + mp_str("host") + mp_str(f"web-{i % 7}")
msgs = []
for k in range(n // 1000):
    entries = b"".join(bytes([0x92, 0xCE]) + struct.pack(">I", 1795910400 + k) + record(k * 1000 + j) for j in range(1000))
    msgs.append(bytes([0x92]) + mp_str("app.bench") + bytes([0xDC]) + struct.pack(">H", 1000) + entries)
timed("forward (Forward mode, 1 000 records a message)", b"".join(msgs), n)
PY

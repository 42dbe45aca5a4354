#!/usr/bin/env bash
# Query benchmark (issue 3 acceptance): N generated app lines spread over 24 h of simulated time
# (so "the last hour" and "per minute over 24 h" mean what they say), ingested once, then each
# query of the issue's list run REPEAT times in-process (`strata query --repeat`): median and p95.
# Also prints bytes on disk, index bytes (Bloom filters + term indexes, from segtool inspect) and
# their ratios to the raw bytes. With DUCKDB=1 (pip install duckdb), runs the same questions in
# DuckDB on the same file, side by side (DUCKDB_PYTHON: an interpreter that has duckdb).
# Usage: tools/bench-query.sh [N=1000000] [REPEAT=9]
set -euo pipefail
N=${1:-1000000}
REPEAT=${2:-9}
BIN=.build/release/strata
SEGTOOL=.build/release/segtool
WORK=${BENCH_DIR:-/tmp/strata-bench}
mkdir -p "$WORK"
RATE=$(python3 -c "print($N / 86400)")
RAW="$WORK/app-24h-$N.ndjson"
DATA="$WORK/query-data-$N"
[ -f "$RAW" ] || python3 tools/gen-logs.py --kind app --count "$N" --seed 7 --rate "$RATE" --out "$RAW"
if [ ! -f "$DATA/MANIFEST" ]; then
    rm -rf "$DATA"
    "$BIN" ingest --data-dir "$DATA" --format ndjson "$RAW"
fi
raw_bytes=$(stat -c %s "$RAW")
disk=$(find "$DATA" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
index=$("$SEGTOOL" inspect "$DATA" | awk '/index bytes/ {b+=$5; t+=$8} END {print b+0, t+0}')
bloom=${index% *}; terms=${index#* }

# Query arguments taken from the data itself: a trace id and a user id near the middle, the end
# of the data for "the last hour".
mid=$((N / 2))
line=$(awk -v m="$mid" 'NR >= m && /"trace_id"/ {print; exit}' "$RAW")
trace=$(echo "$line" | sed -E 's/.*"trace_id":"([0-9a-f]+)".*/\1/')
kid=$(awk -v m="$mid" 'NR >= m && /kid [0-9a-f]+ not found/ {print; exit}' "$RAW" | sed -E 's/.*kid ([0-9a-f]+) not found.*/\1/')
last=$(tail -1 "$RAW" | sed -E 's/.*"timestamp":"([^"]+)".*/\1/')
hour_ago=$(python3 -c "
from datetime import datetime, timedelta
t = datetime.fromisoformat('$last'.replace('Z', '+00:00'))
print((t - timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%S.%fZ'))")

declare -a NAMES QUERIES FROMS
add() { NAMES+=("$1"); QUERIES+=("$2"); FROMS+=("${3:-}"); }
add "rare term (a key id inside one message)" "$kid"
add "trace-id lookup" "trace_id:$trace"
add "common-term count" "error | stats count()"
add "3-word phrase, top 100" '"logged in from"'
add "level:ERROR AND service:X, last hour, top 100" "level:ERROR AND service:checkout" "$hour_ago"
add "stats count() by service, everything" "* | stats count() by service"
add "stats count() by bucket(1m), 24 h" "* | stats count() by bucket(1m)"

echo "data: $N app lines over 24 h, raw $raw_bytes bytes; on disk $disk bytes (raw/disk $(python3 -c "print(f'{$raw_bytes/$disk:.2f}')"):1)"
echo "index: Bloom filters $bloom bytes + term indexes $terms bytes = $(python3 -c "print(f'{100*($bloom+$terms)/$raw_bytes:.2f}')")% of raw"
echo
printf '| %-48s | %12s | %12s | %10s |\n' "query (strata, in-process, $REPEAT runs)" "median ms" "p95 ms" "matches"
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..50})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..14})" "$(printf -- '-%.0s' {1..12})"
for i in "${!NAMES[@]}"; do
    args=(query --data-dir "$DATA" --limit 100 --explain --repeat "$REPEAT")
    [ -n "${FROMS[$i]}" ] && args+=(--from "${FROMS[$i]}")
    err=$("$BIN" "${args[@]}" "${QUERIES[$i]}" 2>&1 >/dev/null)
    med=$(echo "$err" | sed -nE 's/.*median ([0-9.]+) ms.*/\1/p')
    p95=$(echo "$err" | sed -nE 's/.*p95 ([0-9.]+) ms.*/\1/p')
    total=$(echo "$err" | sed -nE 's/^total ([0-9]+) matches.*/\1/p')
    printf '| %-48s | %12s | %12s | %10s |\n' "${NAMES[$i]}" "$med" "$p95" "$total"
done

if [ "${DUCKDB:-0}" = 1 ]; then
    echo
    "${DUCKDB_PYTHON:-python3}" - "$RAW" "$REPEAT" "$kid" "$trace" "$hour_ago" <<'PY'
import statistics, sys, time
import duckdb
raw, repeat, kid, trace, hour_ago = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
con = duckdb.connect()
t0 = time.time()
con.execute(f"CREATE TABLE t AS SELECT CAST(timestamp AS TIMESTAMP) AS ts, level, service, host, message, trace_id FROM read_json_auto('{raw}', format='newline_delimited')")
print(f"duckdb: loaded in {time.time() - t0:.1f} s")
qs = [
    ("rare term (a key id inside one message)", f"SELECT * FROM t WHERE regexp_matches(lower(message), '\\b{kid}\\b') ORDER BY ts DESC LIMIT 100"),
    ("trace-id lookup", f"SELECT * FROM t WHERE trace_id = '{trace}'"),
    ("common-term count", "SELECT count(*) FROM t WHERE regexp_matches(lower(message), '\\berror\\b')"),
    ("3-word phrase, top 100", "SELECT * FROM t WHERE regexp_matches(lower(message), '\\blogged\\s+in\\s+from\\b') ORDER BY ts DESC LIMIT 100"),
    ("level:ERROR AND service:X, last hour, top 100", f"SELECT * FROM t WHERE level = 'ERROR' AND service = 'checkout' AND ts >= CAST('{hour_ago}' AS TIMESTAMP) ORDER BY ts DESC LIMIT 100"),
    ("stats count() by service, everything", "SELECT service, count(*) FROM t GROUP BY service"),
    ("stats count() by bucket(1m), 24 h", "SELECT time_bucket(INTERVAL 1 minute, ts) b, count(*) FROM t GROUP BY b"),
]
print(f"| {'query (duckdb, in-memory table, ' + str(repeat) + ' runs)':48} | {'median ms':>12} | {'p95 ms':>12} |")
for name, sql in qs:
    times = []
    for _ in range(repeat):
        s = time.perf_counter(); con.execute(sql).fetchall(); times.append((time.perf_counter() - s) * 1000)
    times.sort()
    print(f"| {name:48} | {statistics.median(times):12.3f} | {times[min(len(times) - 1, len(times) * 95 // 100)]:12.3f} |")
PY
fi

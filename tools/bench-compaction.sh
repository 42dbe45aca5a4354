#!/usr/bin/env bash
# Compaction benchmark (issue 8 acceptance): N generated app lines over 24 h ingested in small
# flushes (--memtable-mb, as a busy server flushing often would), then one full compaction pass
# (`segtool compact --all`). Prints segment count, bytes on disk and query medians before and
# after, and compaction throughput (input segment MB/s and raw MB/s).
# Usage: tools/bench-compaction.sh [N=1000000] [MEMTABLE_MB=8] [REPEAT=9]
set -euo pipefail
N=${1:-1000000}
MEMTABLE_MB=${2:-8}
REPEAT=${3:-9}
BIN=.build/release/strata
SEGTOOL=.build/release/segtool
WORK=${BENCH_DIR:-/tmp/strata-bench}
mkdir -p "$WORK"
RAW="$WORK/app-24h-$N.ndjson"
DATA="$WORK/compaction-data-$N"
[ -f "$RAW" ] || python3 tools/gen-logs.py --kind app --count "$N" --seed 7 --rate "$(python3 -c "print($N / 86400)")" --out "$RAW"
rm -rf "$DATA"
"$BIN" ingest --data-dir "$DATA" --format ndjson --batch 1000 --memtable-mb "$MEMTABLE_MB" --quiet "$RAW"
raw_bytes=$(stat -c %s "$RAW")

mid=$((N / 2))
line=$(awk -v m="$mid" 'NR >= m && /"trace_id"/ {print; exit}' "$RAW")
trace=$(echo "$line" | sed -E 's/.*"trace_id":"([0-9a-f]+)".*/\1/')
kid=$(awk -v m="$mid" 'NR >= m && /kid [0-9a-f]+ not found/ {print; exit}' "$RAW" | sed -E 's/.*kid ([0-9a-f]+) not found.*/\1/')
declare -a NAMES QUERIES
NAMES+=("rare term"); QUERIES+=("$kid")
NAMES+=("trace-id lookup"); QUERIES+=("trace_id:$trace")
NAMES+=("common-term count"); QUERIES+=("error | stats count()")
NAMES+=("3-word phrase, top 100"); QUERIES+=('"logged in from"')
NAMES+=("stats count() by service"); QUERIES+=("* | stats count() by service")

measure() {
    local label=$1
    local segs disk
    segs=$(find "$DATA/partitions" -name '*.seg' | wc -l)
    disk=$(find "$DATA" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
    echo "$label: $segs segments, $disk bytes on disk (raw/disk $(python3 -c "print(f'{$raw_bytes/$disk:.2f}')"):1)"
    for i in "${!NAMES[@]}"; do
        med=$("$BIN" query --data-dir "$DATA" --limit 100 --repeat "$REPEAT" "${QUERIES[$i]}" 2>&1 >/dev/null | sed -nE 's/.*median ([0-9.]+) ms.*/\1/p')
        printf '  %-28s median %10s ms\n' "${NAMES[$i]}" "$med"
    done
}

measure "before"
seg_bytes=$(find "$DATA/partitions" -name '*.seg' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
t0=$(date +%s.%N)
"$SEGTOOL" compact --all "$DATA" | tail -1
t1=$(date +%s.%N)
python3 -c "
s = $t1 - $t0
print(f'compaction: {s:.1f} s, {$seg_bytes/1e6/s:.1f} MB/s of input segments, {$raw_bytes/1e6/s:.1f} MB/s of raw log text, {$N/s/1e3:.0f}k entries/s')"
measure "after"
"$SEGTOOL" verify "$DATA" | tail -1

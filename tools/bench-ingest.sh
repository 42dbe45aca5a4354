#!/usr/bin/env bash
# Ingest benchmark (issue 2 acceptance): N generated app lines, RUNS runs with fsync=interval.
# Prints logs/s per run and the median, bytes on disk, raw/disk, and zstd -19 / gzip -6 on the
# same raw bytes; then the same ratios for every shared/corpus/loghub system.
# Usage: tools/bench-ingest.sh [N=1000000] [RUNS=3]
set -euo pipefail
N=${1:-1000000}
RUNS=${2:-3}
BIN=.build/release/strata
CORPUS=${STRATA_CORPUS:-../shared/corpus}
WORK=${BENCH_DIR:-/tmp/strata-bench}
mkdir -p "$WORK"
RAW="$WORK/app-$N.ndjson"
[ -f "$RAW" ] || python3 tools/gen-logs.py --kind app --count "$N" --seed 1 --out "$RAW"
raw_bytes=$(stat -c %s "$RAW")
rates=()
for r in $(seq 1 "$RUNS"); do
    rm -rf "$WORK/data"
    out=$("$BIN" ingest --data-dir "$WORK/data" --fsync interval --format ndjson --quiet "$RAW")
    rate=$(echo "$out" | sed -E 's/.*\(([0-9]+) logs\/s.*/\1/')
    rates+=("$rate")
    echo "run $r: $out"
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
# Bytes of every file (segments, manifest, WAL leftovers); directory inodes are not counted.
files_bytes() { find "$1" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}'; }
disk=$(files_bytes "$WORK/data")
seg=$(find "$WORK/data/partitions" -name '*.seg' -printf '%s\n' | awk '{s+=$1} END {print s}')
z19=$(zstd -19 -T1 -c "$RAW" | wc -c)
z19l=$(zstd -19 --long=27 -T1 -c "$RAW" | wc -c)
gz=$(gzip -6 -c "$RAW" | wc -c)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a/b}'; }
echo
echo "app NDJSON, $N lines, $raw_bytes raw bytes"
echo "  ingest logs/s (median of $RUNS): $median   [runs: ${rates[*]}]"
echo "  on disk: $disk bytes (segments $seg)   raw/disk $(ratio "$raw_bytes" "$disk"):1"
echo "  zstd -19: $z19 bytes $(ratio "$raw_bytes" "$z19"):1   zstd -19 --long: $z19l bytes $(ratio "$raw_bytes" "$z19l"):1   gzip -6: $gz bytes $(ratio "$raw_bytes" "$gz"):1"
echo
if [ -d "$CORPUS/loghub" ]; then
    printf '%-12s %10s %10s %8s %10s %8s\n' system raw strata ratio zstd-19 ratio
    for f in "$CORPUS"/loghub/*/*_2k.log; do
        sys=$(basename "$(dirname "$f")")
        rm -rf "$WORK/lh"
        "$BIN" ingest --data-dir "$WORK/lh" --format raw --service "$sys" --quiet "$f" >/dev/null
        r=$(stat -c %s "$f"); d=$(files_bytes "$WORK/lh"); z=$(zstd -19 -T1 -c "$f" | wc -c)
        printf '%-12s %10d %10d %8s %10d %8s\n' "$sys" "$r" "$d" "$(ratio "$r" "$d")" "$z" "$(ratio "$r" "$z")"
    done
fi

#!/usr/bin/env bash
# make run: ingest a corpus sample into DATA_DIR (once), then run a few demo queries.
set -euo pipefail
DATA_DIR=${1:-./strata-data}
BIN=.build/release/strata
CORPUS=${STRATA_CORPUS:-../shared/corpus}
if [ ! -f "$DATA_DIR/MANIFEST" ]; then
    echo "== ingesting generated app logs and corpus samples into $DATA_DIR"
    python3 tools/gen-logs.py --kind app --count 100000 --start "$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)" \
        | "$BIN" ingest --data-dir "$DATA_DIR" --format ndjson --fsync interval -
    if [ -d "$CORPUS/loghub" ]; then
        for f in "$CORPUS"/loghub/*/*_2k.log; do
            sys=$(basename "$(dirname "$f")")
            "$BIN" ingest --data-dir "$DATA_DIR" --format raw --service "$sys" --quiet "$f"
        done
    fi
fi
echo "== strata query 'level:error timeout' --limit 5 --output table"
"$BIN" query --data-dir "$DATA_DIR" --limit 5 --output table --explain 'level:error timeout'
echo "== strata query 'service:HDFS PacketResponder terminating' --limit 3"
"$BIN" query --data-dir "$DATA_DIR" --limit 3 --explain 'service:HDFS PacketResponder terminating'
echo "== strata query '* | stats count(), p99(duration_ms) by service | sort count() desc | limit 5' --output table"
"$BIN" query --data-dir "$DATA_DIR" --output table --explain '* | stats count(), p99(duration_ms) by service | sort count() desc | limit 5'
echo "== segtool verify $DATA_DIR"
.build/release/segtool verify "$DATA_DIR"

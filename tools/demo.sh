#!/usr/bin/env bash
# make demo: seed DATA_DIR with sample logs once (tools/seed-sample.sh), then run a few queries.
set -euo pipefail
DATA_DIR=${1:-./strata-data}
BIN=.build/release/strata
bash tools/seed-sample.sh "$DATA_DIR"
echo "== strata query 'level:error timeout' --limit 5 --output table"
"$BIN" query --data-dir "$DATA_DIR" --limit 5 --output table --explain 'level:error timeout'
echo "== strata query 'service:HDFS PacketResponder terminating' --limit 3"
"$BIN" query --data-dir "$DATA_DIR" --limit 3 --explain 'service:HDFS PacketResponder terminating'
echo "== strata query '* | stats count(), p99(duration_ms) by service | sort count() desc | limit 5' --output table"
"$BIN" query --data-dir "$DATA_DIR" --output table --explain '* | stats count(), p99(duration_ms) by service | sort count() desc | limit 5'
echo "== segtool verify $DATA_DIR"
.build/release/segtool verify "$DATA_DIR"

#!/usr/bin/env bash
# Seeds DATA_DIR (once: only if it has no MANIFEST) with sample logs: 100k generated app lines over
# the last 2 hours and the loghub 2k samples of ../shared/corpus, one service per system.
set -euo pipefail
DATA_DIR=${1:-./strata-data}
BIN=.build/release/strata
CORPUS=${STRATA_CORPUS:-../shared/corpus}
[ -f "$DATA_DIR/MANIFEST" ] && exit 0
echo "== seeding $DATA_DIR with sample logs"
python3 tools/gen-logs.py --kind app --count 100000 --start "$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)" \
    | "$BIN" ingest --data-dir "$DATA_DIR" --format ndjson --fsync interval --quiet -
if [ -d "$CORPUS/loghub" ]; then
    for f in "$CORPUS"/loghub/*/*_2k.log; do
        "$BIN" ingest --data-dir "$DATA_DIR" --format raw --service "$(basename "$(dirname "$f")")" --quiet "$f"
    done
fi

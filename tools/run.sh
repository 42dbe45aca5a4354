#!/usr/bin/env bash
# make run: seed DATA_DIR with sample logs once (tools/seed-sample.sh), then run the server in the foreground on the embedded default (127.0.0.1:8080).
# Ctrl-C (SIGINT) or SIGTERM stops it gracefully: everything acknowledged is flushed to segments.
set -euo pipefail
DATA_DIR=${1:-./strata-data}
BIN=.build/release/strata
bash tools/seed-sample.sh "$DATA_DIR"
cat <<'TXT'
== strata serve (Ctrl-C to stop). Try, from another terminal:
   curl -s 'http://127.0.0.1:8080/api/logs?q=level:error+timeout&limit=3'
   curl -s 'http://127.0.0.1:8080/api/logs?q=*+|+stats+count()+by+service'
   curl -s -XPOST --data-binary '{"level":"warn","service":"demo","message":"hello from curl"}' http://127.0.0.1:8080/api/logs
   curl -s http://127.0.0.1:8080/api/stats
TXT
exec "$BIN" serve --data-dir "$DATA_DIR"

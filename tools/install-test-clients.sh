#!/usr/bin/env bash
# Installs the real protocol clients the server tests drive (PyPI, pinned) into .venv-clients,
# once per requirements list. Usage: tools/install-test-clients.sh
set -euo pipefail
cd "$(dirname "$0")/.."
REQS=(
    "elasticsearch==9.5.1"                          # helpers.bulk -> PUT /_bulk, checks X-Elastic-Product
    "python-logging-loki==0.3.1"                    # Loki push (JSON), wants 204
    "loki-logger-handler==1.1.2"                    # Loki push (JSON, gzip, batched)
    "opentelemetry-api==1.45.1"
    "opentelemetry-sdk==1.45.1"
    "opentelemetry-exporter-otlp-proto-http==1.45.1"
    "opentelemetry-exporter-otlp-json-http==0.66b1"
    "fluent-logger==0.11.1"                         # Fluentd forward (Message mode, EventTime)
)
STAMP=.venv-clients/.installed
WANT=$(printf '%s\n' "${REQS[@]}")
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$WANT" ]; then exit 0; fi
rm -rf .venv-clients
python3 -m venv .venv-clients
.venv-clients/bin/pip install -q --disable-pip-version-check "${REQS[@]}"
printf '%s\n' "${REQS[@]}" > "$STAMP"
echo "installed the test clients into .venv-clients"

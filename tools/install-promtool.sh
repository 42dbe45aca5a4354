#!/usr/bin/env bash
# Puts Debian's promtool (package `prometheus`) at .tools/promtool without installing the package,
# so `make test` never starts a Prometheus service on the machine. Usage: tools/install-promtool.sh
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .tools/promtool ] && exit 0
if command -v promtool >/dev/null 2>&1; then
    mkdir -p .tools && ln -sf "$(command -v promtool)" .tools/promtool
    exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && apt-get download prometheus >/dev/null 2>&1 ) || { SUDO=""; [ "$(id -u)" != 0 ] && SUDO=sudo; $SUDO apt-get update -qq; ( cd "$work" && apt-get download prometheus >/dev/null ); }
dpkg-deb -x "$work"/prometheus_*.deb "$work/x"
mkdir -p .tools
cp "$work/x/usr/bin/promtool" .tools/promtool
echo "promtool extracted to .tools/promtool"

# Strata — build, run and test entry points. Every target installs missing system packages first.
SHELL := /bin/bash
DATA_DIR ?= ./strata-data
SWIFT_BUILD_FLAGS ?=
# Real clients the tests drive: util-linux logger (bsdutils), rsyslog, curl; the openssl, lz4 and gzip tools.
TEST_APT_PACKAGES := bsdutils rsyslog openssl lz4 gzip curl
APT_PACKAGES := libzstd-dev liblz4-dev libxxhash-dev zlib1g-dev libpcre2-dev libssl-dev ca-certificates pkg-config zstd python3 python3-venv

.PHONY: deps build release run test bench bench-check bench-micro bench-parsers bench-ingest bench-query bench-http bench-agent demo clean fuzz fault

deps:
	@bash tools/install-deps.sh $(APT_PACKAGES)
	@python3 -c 'import pyroaring' 2>/dev/null || python3 -m pip install -q pyroaring   # independent Roaring implementation for compatibility tests

build: deps
	swift build $(SWIFT_BUILD_FLAGS)

release: deps
	swift build -c release $(SWIFT_BUILD_FLAGS)
	# The agent is linked statically (Swift runtime and Foundation): it runs on hosts without a
	# Swift toolchain, and only what it uses is resident (docs/agent.md).
	swift build -c release --product strata-agent --static-swift-stdlib $(SWIFT_BUILD_FLAGS)

# The server on the embedded default (127.0.0.1:8080, ./strata-data), seeded with sample logs once.
run: release
	bash tools/run.sh "$(DATA_DIR)"

# Demo queries from the command line over the same data directory (no server needed).
demo: release
	bash tools/demo.sh "$(DATA_DIR)"

test: deps
	@bash tools/install-deps.sh $(TEST_APT_PACKAGES)
	bash tools/install-test-clients.sh
	bash tools/install-promtool.sh
	swift build --build-tests $(SWIFT_BUILD_FLAGS)
	swift test --skip-build $(SWIFT_BUILD_FLAGS)

# The macro benchmark (tools/bench.py): app NDJSON, nginx and syslog, N lines each (default
# 1M), RUNS runs: ingest logs/s and MB/s, bytes vs gzip -6 / zstd -19, query latencies, server
# start-up (app: also on thousands of segments), the agent (tools/bench-agent.py, run first),
# all pinned to one core; a table per data set, JSON in $(BENCH_JSON_DIR), app checked against
# Benchmarks/budgets.json (design misses printed, the floor fatal).
BENCH_JSON_DIR ?= /tmp/strata-bench
bench: release
	python3 tools/bench-agent.py --rate $(AGENT_RATE) --seconds $(AGENT_SECONDS) --lines $(AGENT_LINES) --runs $(RUNS) --json $(BENCH_JSON_DIR)/bench-agent.json
	python3 tools/bench.py --kind app --lines $(N) --runs $(RUNS) --repeat $(REPEAT) --one-core --many-segments --agent-json $(BENCH_JSON_DIR)/bench-agent.json --json $(BENCH_JSON_DIR)/bench-app.json --check Benchmarks/budgets.json
	python3 tools/bench.py --kind nginx --lines $(N) --runs $(RUNS) --repeat $(REPEAT) --one-core --agent-json $(BENCH_JSON_DIR)/bench-agent.json --json $(BENCH_JSON_DIR)/bench-nginx.json
	python3 tools/bench.py --kind syslog --lines $(N) --runs $(RUNS) --repeat $(REPEAT) --one-core --agent-json $(BENCH_JSON_DIR)/bench-agent.json --json $(BENCH_JSON_DIR)/bench-syslog.json

# Budgets of DESIGN §5 (Benchmarks/budgets.json) at a reduced size: exit 1 naming each miss.
# CI runs it at smoke size (a regression alarm, not a timing test). BENCH_CHECK_LINES=200000.
# Every miss is named; a missed design budget fails unless BENCH_CHECK_STRICT is emptied (CI
# does: there the floor is the alarm), a missed floor always fails.
BENCH_CHECK_LINES ?= 200000
BENCH_CHECK_STRICT ?= --strict
bench-check: release
	python3 tools/bench.py --kind app --lines $(BENCH_CHECK_LINES) --runs 3 --repeat 7 --one-core --check Benchmarks/budgets.json $(BENCH_CHECK_STRICT)

# Micro-benchmarks (Benchmarks/ package, ordo-one package-benchmark, allocation counts).
bench-micro: deps
	cd Benchmarks && swift package --disable-sandbox benchmark --target StrataMicro --no-progress

# Parser throughput (issue 6): every pipeline parser on one core (taskset), median of RUNS runs,
# lines/s and MB/s over the shared corpus and generated lines; JSON in $(BENCH_JSON_DIR).
bench-parsers: deps
	cd Benchmarks && swift build -c release --product StrataParsers
	mkdir -p $(BENCH_JSON_DIR)
	taskset -c 0 Benchmarks/.build/release/StrataParsers --corpus $${STRATA_CORPUS:-../shared/corpus} --runs $(RUNS) --json $(BENCH_JSON_DIR)/bench-parsers.json

# Ingest benchmark: N generated app lines (default 1M), reports logs/s and raw/disk vs zstd -19.
N ?= 1000000
RUNS ?= 3
REPEAT ?= 9
bench-ingest: release
	bash tools/bench-ingest.sh $(N) $(RUNS)

# Query benchmark: N generated app lines over 24 h (default 1M), the issue-3 query list, medians
# and p95 of REPEAT in-process runs, index bytes vs raw. DUCKDB=1 adds DuckDB side by side.
bench-query: release
	bash tools/bench-query.sh $(N) $(REPEAT)

# Crash harnesses: SIGKILL the real server at random points while clients ingest with
# acknowledgements; then fill a small tmpfs (503 storage_full, resume, real ENOSPC). Every
# acknowledged batch must survive, segtool verify must stay clean; then flip single bits in
# every section of real segments and the MANIFEST (verify must notice, nothing may crash).
FAULT_ITERATIONS ?= 50
FAULT_FLIPS ?= 25
fault: build
	python3 tools/fault-kill.py --iterations $(FAULT_ITERATIONS) --bin .build/debug
	python3 tools/fault-diskfull.py --bin .build/debug
	python3 tools/fault-bitflip.py --bin .build/debug --flips-per-section $(FAULT_FLIPS)

# Server ingest: wrk posting NDJSON batches for SECONDS (rate median and RSS), syslog TCP and
# forward rates. BENCH_SECONDS=60 BATCH=1000 CONNS=8 FSYNC=always.
BENCH_SECONDS ?= 60
BATCH ?= 1000
CONNS ?= 8
FSYNC ?= always
# Agent benchmark: start-up, RSS/CPU at AGENT_RATE lines/s, maximum rate (tools/bench-agent.py).
AGENT_RATE ?= 10000
AGENT_SECONDS ?= 30
AGENT_LINES ?= 1000000
AGENT_CHECK ?=
bench-agent: release
	python3 tools/bench-agent.py --rate $(AGENT_RATE) --seconds $(AGENT_SECONDS) --lines $(AGENT_LINES) --runs $(RUNS) --json $(BENCH_JSON_DIR)/bench-agent.json $(AGENT_CHECK)

bench-http: release
	bash tools/bench-http.sh $(BENCH_SECONDS) $(BATCH) $(CONNS) $(FSYNC)

# libFuzzer + ASan over every decoder and parser (Fuzz/ package); FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 20
fuzz: deps
	bash tools/fuzz.sh $(FUZZ_SECONDS)

clean:
	rm -rf .build

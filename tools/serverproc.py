"""Starting the real `strata serve` from the tools' Python harnesses."""
import re
import subprocess
import sys
import threading


def start_server(strata, data, *extra):
    """Starts `strata serve` on a free loopback port with fsync `always`; returns (process, port)
    once it prints its listening line. Its stderr is drained afterwards so it never blocks."""
    p = subprocess.Popen([strata, "serve", "--data-dir", data, "--http", "127.0.0.1:0", "--fsync", "always", *extra],
                         stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    log = ""
    while True:
        line = p.stderr.readline()
        if not line:
            sys.exit(f"strata serve exited before listening:\n{log}")
        log += line
        m = re.search(r"listening on https?://127\.0\.0\.1:(\d+)", line)
        if m:
            threading.Thread(target=lambda: [None for _ in p.stderr], daemon=True).start()
            return p, int(m.group(1))


def replay_and_count(strata, data, query, key):
    """Starts the server once (it replays the WAL), stops it gracefully (it flushes), then runs
    the stats `query` over the directory; returns {key(row): count} for its rows."""
    import json
    import signal
    server, _ = start_server(strata, data)
    server.send_signal(signal.SIGTERM)
    if server.wait() != 0:
        sys.exit("the graceful stop after recovery failed")
    q = subprocess.run([strata, "query", "--data-dir", data, "--limit", "0", "--output", "ndjson", query],
                       capture_output=True, text=True)
    if q.returncode != 0:
        sys.exit(f"query failed: {q.stderr}")
    return {key(row): row["count()"] for row in map(json.loads, q.stdout.splitlines())}

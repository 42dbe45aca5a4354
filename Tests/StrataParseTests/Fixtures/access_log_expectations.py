#!/usr/bin/env python3
"""Independent expectations for combined-format access logs (Python's re + datetime, not
Strata's code): prints one JSON object per input line with the fields a combined-log parser
must produce. Usage: access_log_expectations.py FILE"""
import json, re, sys
from datetime import datetime

LINE = re.compile(r'^(\S+) (\S+) (\S+) \[([^\]]+)\] "(.*?)" (\d{3}|-) (\d+|-) "(.*?)" "(.*)"$')
with open(sys.argv[1], encoding="utf-8", errors="surrogateescape") as f:
    for raw in f:
        line = raw.rstrip("\n")
        m = LINE.match(line)
        if not m:
            print(json.dumps({"line": line, "matched": False}))
            continue
        ip, ident, user, ts, req, status, size, ref, agent = m.groups()
        t = datetime.strptime(ts, "%d/%b/%Y:%H:%M:%S %z")
        nanos = int(t.timestamp()) * 1_000_000_000
        print(json.dumps({
            "matched": True, "client_ip": ip, "ident": None if ident == "-" else ident,
            "user": None if user == "-" else user, "timestamp_text": ts, "timestamp_nanos": nanos,
            "request": req, "method": req.split(" ", 1)[0] if " " in req else None,
            "status": int(status) if status != "-" else None, "bytes": int(size) if size != "-" else None,
            "referer": None if ref == "-" else ref, "user_agent": None if agent == "-" else agent,
        }))

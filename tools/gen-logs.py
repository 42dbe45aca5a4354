#!/usr/bin/env python3
"""gen-logs.py - seeded, deterministic generator of realistic log data for Strata.

Used by Strata's benchmarks and tests to produce large, realistic log streams
without shipping fixture files. Three kinds are supported:

  app     NDJSON application logs, one JSON object per line. Keys start with
          "timestamp", "level", "service", "host", "message", followed by
          per-template dynamic fields (trace_id, user_id, duration_ms, status,
          method, path, bytes, region, retry, a nested "http" object, a
          "tags" array). Messages come from ~360 templates (~20 hand-written
          families) with Zipf-like skew: a few very frequent, a long rare tail.
          ~1% of lines are 0-5 s late (out of timestamp order).
  nginx   nginx "combined" access-log lines.
  syslog  RFC 5424 syslog lines (sshd, cron, kernel, systemd, postfix, sudo).

Determinism: output depends only on the command-line arguments. The same
--kind/--count/--seed/--start/--rate always yields byte-identical output; it
does not read the clock, locale, environment or PYTHONHASHSEED. The vocabulary
(templates, hosts, users, IPs) is built from a fixed internal seed and is the
same for every --seed; --seed picks the stream drawn from it. Random draws are
made in fixed-size blocks regardless of --count, so the output of a shorter
run is a prefix of a longer run with the same other arguments.

Timestamps start at --start and advance by exponentially distributed gaps at
--rate lines/second (default: app 2000, nginx 1000, syslog 200).

Python 3.11+, standard library only.

Examples:
  python3 tools/gen-logs.py --kind app --count 1000000 --seed 7 --out /tmp/app.ndjson
  python3 tools/gen-logs.py --kind nginx --count 20 | less
  python3 tools/gen-logs.py --kind syslog --count 1000 --start 2026-12-01T12:00:00Z
"""

import argparse
import base64
import math
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from json.encoder import encode_basestring as _json_str  # C-accelerated, quotes + escapes

CATALOG_SEED = 0x57A7A_106  # fixed: vocabulary is identical for every --seed
BLOCK = 4096                 # lines per draw block / output write
DEFAULT_RATE = {"app": 2000.0, "nginx": 1000.0, "syslog": 200.0}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------

def parse_start(text):
    """RFC 3339 / ISO 8601 timestamp -> integer microseconds since the epoch."""
    try:
        dt = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"bad --start timestamp {text!r}: {exc}")
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return (dt - EPOCH) // timedelta(microseconds=1)


def civil(sec):
    """Epoch seconds -> UTC datetime (no locale involved)."""
    return EPOCH + timedelta(seconds=sec)


def table(pairs, resolution=1000):
    """[(item, weight)] -> tuple with items replicated by weight, for O(1) picks
    via tbl[int(random() * len(tbl))]. Every item gets at least one slot."""
    total = float(sum(w for _, w in pairs))
    out = []
    for item, w in pairs:
        out.extend([item] * max(1, int(round(w / total * resolution))))
    return tuple(out)


def bake(text, **fixed):
    """Substitute fixed template parts written as <name>; the result is a
    %-format string whose runtime variables are %(name)s/%(name)d."""
    for key, val in fixed.items():
        text = text.replace(f"<{key}>", str(val).replace("%", "%%"))
    return text


def zipf_weights(n, s=1.1):
    return [1.0 / (i + 1) ** s for i in range(n)]


class Sink:
    """Writes UTF-8 chunks to a file or stdout; quiet on a closed pipe."""

    def __init__(self, path):
        self.fh = open(path, "wb") if path else sys.stdout.buffer
        self.own = bool(path)

    def write(self, lines):
        if lines:
            self.fh.write(("\n".join(lines) + "\n").encode("utf-8"))

    def close(self):
        if self.own:
            self.fh.close()
        else:
            self.fh.flush()


# --------------------------------------------------------------------------
# shared vocabulary
# --------------------------------------------------------------------------

FIRST_NAMES = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
    "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent",
    "victor", "walter", "yusuf", "zoe", "amir", "bea", "chen", "dmitri", "elena",
    "farah", "gus", "hana", "igor", "jamal", "kenji", "lena", "marco", "nora",
    "omar", "priya", "quinn", "rosa", "sven", "tariq", "uma", "vera", "wei",
    "ximena", "yara", "zain", "aiko", "bjorn", "chloe", "diego", "emeka",
    "fatima", "giulia", "hugo", "ines", "jonas", "kofi", "lucia", "mateo",
)
LAST_NAMES = (
    "smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "anderson",
    "thomas", "taylor", "moore", "martin", "lee", "perez", "white", "harris",
    "clark", "lewis", "young", "walker", "hall", "allen", "king", "wright",
    "scott", "green", "baker", "adams", "nelson", "hill", "ramirez", "campbell",
    "mitchell", "roberts", "carter", "phillips", "evans", "turner", "torres",
    "parker", "collins", "edwards", "stewart", "morris", "nguyen", "murphy",
    "rivera", "cook", "rogers", "morgan", "peterson", "cooper", "reed", "bailey",
    "bell", "gomez", "kelly", "howard", "ward", "cox",
)
# display names used inside messages; a few non-ASCII / quote-bearing ones
# exercise JSON escaping and UTF-8 handling.
DISPLAY_EXTRA = ("José Álvarez", "Zoë Müller", "Søren Ødegaard", "Łucja Wróbel",
                 "Renée O'Neil", 'Dana "DJ" Kim', "李 伟", "Ana\tTab")
EMAIL_DOMAINS = ("example.com", "example.org", "mail.example.net", "corp.example.io",
                 "gmail.example", "outlook.example")
SEARCH_TERMS = ("running shoes", "usb-c cable", "coffee grinder", "laptop stand",
                "wireless earbuds", "yoga mat", "desk lamp", "backpack", "water bottle",
                "mechanical keyboard", "phone case", "monitor 27 inch", "air fryer",
                "socks", "rain jacket", "kids bike", "gift card", "hdmi", "tent", "ssd 1tb")


def build_users(C, n=50000):
    """User ids (shuffled so popularity is not id order) plus names/emails."""
    ids = C.sample(range(100000, 10000000), n)
    emails, names = [], []
    nf, nl = len(FIRST_NAMES), len(LAST_NAMES)
    for i in range(n):
        f = FIRST_NAMES[(i * 7 + 3) % nf]
        l = LAST_NAMES[(i * 13 + i // nf) % nl]
        suffix = "" if i < nf * nl else str(i // (nf * nl))
        emails.append(f"{f}.{l}{suffix}@{EMAIL_DOMAINS[i % len(EMAIL_DOMAINS)]}")
        if i % 997 == 5:
            names.append(DISPLAY_EXTRA[(i // 997) % len(DISPLAY_EXTRA)])
        else:
            names.append(f"{f.capitalize()} {l.capitalize()}")
    return ids, emails, names


def public_ip(C):
    while True:
        a = C.randrange(1, 224)
        if a not in (10, 127, 169, 172, 192, 100, 0):
            return f"{a}.{C.randrange(256)}.{C.randrange(256)}.{C.randrange(1, 255)}"


# --------------------------------------------------------------------------
# app: NDJSON application logs
# --------------------------------------------------------------------------

APP_SERVICES = (  # (name, traffic weight, hosts)
    ("api-gateway", 10, ["edge-%02d" % i for i in range(1, 5)] + ["web-%02d" % i for i in range(1, 5)]),
    ("api", 9, ["api-%02d" % i for i in range(1, 11)]),
    ("auth", 5, ["api-%02d" % i for i in range(1, 5)] + ["web-05", "web-06"]),
    ("users", 4, ["api-%02d" % i for i in range(5, 9)]),
    ("checkout", 5, ["web-%02d" % i for i in range(7, 11)]),
    ("cart", 4, ["web-%02d" % i for i in range(9, 13)]),
    ("payments", 4, ["pay-%02d" % i for i in range(1, 5)]),
    ("orders", 5, ["api-%02d" % i for i in range(7, 11)] + ["worker-01", "worker-02"]),
    ("inventory", 3, ["worker-%02d" % i for i in range(3, 7)]),
    ("catalog", 5, ["web-01", "web-02", "web-03", "api-09", "api-10"]),
    ("search-api", 5, ["search-%02d" % i for i in range(1, 4)]),
    ("search-indexer", 2, ["search-04", "search-05", "search-06", "worker-07", "worker-08"]),
    ("recommendations", 3, ["worker-%02d" % i for i in range(9, 13)]),
    ("notifications", 2, ["worker-13", "worker-14", "worker-15"]),
    ("email-sender", 1, ["worker-15", "worker-16"]),
    ("billing", 1, ["batch-01", "batch-02", "pay-03", "pay-04"]),
    ("fraud-detector", 2, ["pay-01", "pay-02", "worker-17", "worker-18"]),
    ("shipping", 2, ["worker-19", "worker-20"]),
    ("media-resizer", 1, ["batch-03", "batch-04", "worker-05", "worker-06"]),
    ("scheduler", 1, ["batch-%02d" % i for i in range(1, 5)]),
)
APP_REGIONS = ("us-east-1", "us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1")
APP_TAGS = (("canary",), ("canary", "eu"), ("beta",), ("eu",), ("us",), ("shadow",),
            ("canary", "us"), ("experiment-42",), ("blue",), ("green",), ("k8s", "spot"),
            ("debug-sampled",), ("ios",), ("android",), ("web",))
LEVEL_SHARE = (("INFO", 0.70), ("DEBUG", 0.15), ("WARN", 0.10), ("ERROR", 0.045), ("FATAL", 0.005))

TABLES = ("users", "orders", "order_items", "payments", "sessions", "products",
          "inventory", "carts", "cart_items", "shipments", "invoices", "audit_log",
          "refunds", "addresses", "feature_flags")
CACHES = ("user", "session", "product", "cart", "price", "feature-flags", "rate-limit", "token")
TOPICS = (("orders.created", "orders-projector"), ("payments.events", "ledger-writer"),
          ("inventory.updates", "stock-sync"), ("user.activity", "activity-aggregator"),
          ("search.index-requests", "search-indexer"), ("notifications.outbound", "notifier"),
          ("audit.log", "audit-archiver"), ("clickstream.raw", "clickstream-etl"))
PROVIDERS = ("stripe", "adyen", "braintree", "paypal")
CURRENCIES = ("USD", "USD", "USD", "EUR", "EUR", "GBP", "JPY", "AUD")
JOBS = ("nightly-report", "invoice-export", "search-reindex", "cleanup-sessions",
        "sync-inventory", "send-digest-emails", "compact-segments", "rotate-keys")
DEPS = (("postgres", 5432), ("redis", 6379), ("kafka", 9092), ("elasticsearch", 9200),
        ("memcached", 11211), ("rabbitmq", 5672), ("inventory-grpc", 50051), ("ledger", 8443))
RETRY_OPS = ("publish to kafka", "POST to payment provider", "fetch object from s3",
             "db transaction", "webhook delivery", "send email via smtp",
             "grpc call inventory.Reserve", "token refresh")
FLAGS = ("new-checkout-flow", "search-v2-ranking", "one-click-pay", "dark-mode",
         "free-shipping-banner", "recs-model-b")

# (method, path format, id kinds, services, log-mean response bytes)
APP_ROUTES = (
    ("GET", "/api/v1/users/%d", ("user",), ("api-gateway", "api", "users"), 6.5),
    ("GET", "/api/v1/users/%d/orders", ("user",), ("api-gateway", "api", "orders"), 8.0),
    ("POST", "/api/v1/orders", (), ("api-gateway", "orders", "checkout"), 6.8),
    ("GET", "/api/v1/orders/%d", ("order",), ("api-gateway", "api", "orders"), 7.2),
    ("PATCH", "/api/v1/orders/%d", ("order",), ("api-gateway", "orders"), 6.2),
    ("GET", "/api/v1/products/%d", ("product",), ("api-gateway", "catalog"), 7.8),
    ("GET", "/api/v1/products?page=%d", ("page",), ("api-gateway", "catalog"), 9.5),
    ("GET", "/api/v1/search?q=%s", ("term",), ("api-gateway", "search-api"), 9.0),
    ("POST", "/api/v1/cart/%d/items", ("cart",), ("api-gateway", "cart"), 6.0),
    ("DELETE", "/api/v1/cart/%d/items/%d", ("cart", "product"), ("api-gateway", "cart"), 4.0),
    ("POST", "/api/v1/auth/login", (), ("api-gateway", "auth"), 6.3),
    ("POST", "/api/v1/auth/refresh", (), ("api-gateway", "auth"), 6.0),
    ("PUT", "/api/v1/users/%d/preferences", ("user",), ("api-gateway", "users"), 5.5),
    ("POST", "/api/v2/payments", (), ("api-gateway", "payments", "checkout"), 6.6),
    ("GET", "/api/v2/payments/%d", ("order",), ("api-gateway", "payments"), 6.4),
    ("GET", "/api/v1/inventory/%d/stock", ("product",), ("inventory", "api"), 5.0),
    ("GET", "/api/v1/recommendations/%d", ("user",), ("recommendations", "api-gateway"), 8.2),
    ("GET", "/healthz", (), ("api", "auth", "cart", "payments", "catalog", "search-api"), 2.8),
)
APP_STATUS = {
    "GET": table([(200, 94), (304, 4), (301, 2)]),
    "POST": table([(201, 60), (200, 40)]),
    "PUT": table([(200, 85), (204, 15)]),
    "PATCH": table([(200, 85), (204, 15)]),
    "DELETE": table([(204, 90), (200, 10)]),
}
HTTP_WARN_REASONS = (
    (400, "validation failed: field 'email' is required"),
    (400, "invalid JSON body: unexpected end of input"),
    (400, 'query parameter "page" must be a positive integer'),
    (401, "missing bearer token"),
    (401, "token expired"),
    (401, "invalid token signature"),
    (403, "forbidden: missing scope orders:write"),
    (403, "tenant mismatch"),
    (404, "resource not found"),
    (404, "no route matched"),
    (429, "rate limit exceeded (100 req/min)"),
    (429, "too many concurrent requests"),
)
HTTP_ERROR_CAUSES = (
    (500, "internal error: nil pointer dereference"),
    (500, "unhandled exception: KeyError('sku')"),
    (500, "serialization failure, transaction rolled back"),
    (502, "upstream inventory returned an invalid response"),
    (502, "upstream connect error or disconnect/reset before headers"),
    (503, "upstream payments unavailable (circuit open)"),
    (503, "no healthy upstream"),
    (503, "service overloaded, shedding load"),
)
FILE_PATHS = (
    "/var/lib/strata/segments/%(hex)s.seg",
    "/etc/app/config.d/%(svc)s.yaml",
    "/tmp/uploads/%(uuid)s.part",
    "/srv/static/img/products/%(n)d.jpg",
    r"C:\ProgramData\agent\conf\%(svc)s.ini",
    "/var/run/secrets/%(svc)s/tls.crt",
)


def build_app(C, rng):
    """Returns (templates, cum_weights); each template is a tuple
    (level, service_host_pool, render, aux, trace_p, region_p). render(aux)
    draws the template's variables from rng and returns (message, fields, tail)."""
    rnd = rng.random
    bits = rng.getrandbits
    gauss = rng.gauss
    exp = math.exp

    user_ids, emails, display = build_users(C)
    nusers1 = len(user_ids) + 1
    client_ips = tuple(public_ip(C) for _ in range(3000))
    nclient1 = len(client_ips) + 1
    terms = tuple(t.replace(" ", "+") for t in SEARCH_TERMS)
    nterms = len(terms)

    # ---- per-line variable helpers (closures over rng) --------------------
    def user():  # Zipf-ish: P(index k) ~ 1/k over 50k users
        return int(nusers1 ** rnd()) - 1

    def client_ip():
        return client_ips[int(nclient1 ** rnd()) - 1]

    def internal_ip():
        return "10.%d.%d.%d" % (bits(4), bits(8), bits(8) | 1)

    def uuid4():
        h = "%032x" % bits(128)
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[bits(2)]}{h[17:20]}-{h[20:]}"

    def dur(mu, sigma, dec):
        return round(exp(gauss(mu, sigma)), dec)

    id_gen = {
        "user": lambda: user_ids[user()],
        "order": lambda: 1000000 + int(rnd() * 8000000),
        "product": lambda: 1000 + int(20001 ** rnd()),
        "cart": lambda: 500000 + int(rnd() * 400000),
        "page": lambda: 1 + int(12 ** rnd() ** 2),
        "term": lambda: terms[int(nterms ** rnd()) - 1],
    }

    def make_path(route):
        gens = route[5]
        if not gens:
            return route[1]
        if len(gens) == 1:
            return route[1] % gens[0]()
        return route[1] % tuple(g() for g in gens)

    nest = [0.05]  # share of http-family lines using the nested "http" object; calibrated below

    # ---- family renders: aux -> (message, fields, tail) ------------------
    # fields hold (in order) user_id, duration_ms, status, method, path, bytes;
    # tail holds retry / nested http. Region, trace_id and tags are added later.

    def r_http(a):
        fmt, route, dec, user_p = a
        method = route[0]
        if route[2] == ("user",):  # the acting user is the one in the path
            uid = user_ids[user()]
            path = route[1] % uid
        else:
            uid = user_ids[user()] if rnd() < user_p else 0
            path = make_path(route)
        st = APP_STATUS[method] if route[1] != "/healthz" else (200,)
        status = st[int(rnd() * len(st))]
        d = dur(3.0 if route[1] != "/healthz" else 0.0, 0.9, dec)
        if status in (204, 304):
            b = 0
        elif status == 301:
            b = 150 + bits(5)
        else:
            b = int(exp(gauss(route[4], 0.7)))
        msg = fmt % {"m": method, "p": path, "s": status, "d": d, "b": b}
        u = ',"user_id":%d' % uid if uid else ""
        if rnd() < nest[0]:
            return msg, f'{u},"duration_ms":{d},"path":{_json_str(path)},"bytes":{b}', \
                f',"http":{{"method":"{method}","status":{status}}}'
        return msg, f'{u},"duration_ms":{d},"status":{status},"method":"{method}",' \
                    f'"path":{_json_str(path)},"bytes":{b}', ""

    def r_http_fail(a):
        fmt, status, mu, dec = a
        route = APP_ROUTE_T[int(rnd() * len(APP_ROUTE_T))]
        method = route[0]
        path = make_path(route)
        d = dur(mu, 1.0, dec)
        b = 40 + bits(7)
        msg = fmt % {"m": method, "p": path, "s": status, "d": d, "ip": client_ip()}
        u = ',"user_id":%d' % user_ids[user()] if rnd() < 0.3 else ""
        if rnd() < nest[0]:
            return msg, f'{u},"duration_ms":{d},"path":{_json_str(path)},"bytes":{b}', \
                f',"http":{{"method":"{method}","status":{status}}}'
        return msg, f'{u},"duration_ms":{d},"status":{status},"method":"{method}",' \
                    f'"path":{_json_str(path)},"bytes":{b}', ""

    def r_db(a):
        fmt, mu, sigma, dec = a
        d = dur(mu, sigma, dec)
        msg = fmt % {"d": d, "rows": int(exp(gauss(1.5, 2.0))), "id": 1 + int(rnd() * 9000000),
                     "n": 1 + bits(5), "idle": bits(4)}
        return msg, ',"duration_ms":%r' % d, ""

    def r_cache(a):
        fmt, keyed_user = a
        uidx = user()
        key = user_ids[uidx] if keyed_user else 1000 + int(20001 ** rnd())
        msg = fmt % {"k": key, "n": 1 + int(exp(gauss(4, 1.5))), "ttl": 60 * (1 + bits(5))}
        return msg, (',"user_id":%d' % user_ids[uidx]) if keyed_user else "", ""

    def r_auth(a):
        fmt, dec = a
        uidx = user()
        d = dur(3.5, 0.6, dec)
        msg = fmt % {"email": emails[uidx], "uid": user_ids[uidx], "ip": client_ip(),
                     "sid": uuid4(), "ttl": 900 * (1 + bits(2)), "kid": "%012x" % bits(48),
                     "name": display[uidx], "d": d}
        return msg, ',"user_id":%d,"duration_ms":%r' % (user_ids[uidx], d), ""

    def r_pay(a):
        fmt, dec = a
        uidx = user()
        d = dur(5.3, 0.7, dec)
        cents = int(exp(gauss(8.3, 1.1)))
        msg = fmt % {"pid": uuid4(), "amt": "%d.%02d" % divmod(cents, 100),
                     "cur": CURRENCIES[bits(3)], "order": "ORD-%d" % (1000000 + int(rnd() * 8000000)),
                     "d": d, "code": "E%04d" % (1000 + bits(10)), "uid": user_ids[uidx]}
        return msg, ',"user_id":%d,"duration_ms":%r' % (user_ids[uidx], d), ""

    def r_kafka(a):
        (fmt,) = a
        msg = fmt % {"p": bits(5), "lag": int(exp(gauss(8, 1.8))), "n": 1 + bits(4),
                     "off": 10000000 + int(rnd() * 90000000), "cid": "%08x" % bits(32)}
        return msg, "", ""

    def r_gc(a):
        fmt, mu, dec = a
        d = dur(mu, 0.8, dec)
        cap = (2048, 4096, 8192, 16384)[bits(2)]
        before = int(cap * (0.55 + 0.4 * rnd()))
        after = int(before * (0.2 + 0.5 * rnd()))
        msg = fmt % {"d": d, "a": before, "b": after, "c": cap, "n": 1 + int(rnd() * 90000),
                     "up": "%.1f" % (rnd() * 86400), "pct": bits(3)}
        return msg, ',"duration_ms":%r' % d, ""

    def r_conn(a):
        fmt, dec = a
        d = dur(0.5, 1.2, dec)
        msg = fmt % {"ip": internal_ip(), "d": d, "n": 1 + bits(2)}
        return msg, ',"duration_ms":%r' % d, ',"retry":true' if rnd() < 0.7 else ',"retry":false'

    def r_retry(a):
        fmt, giveup = a
        mx = (3, 5, 5, 10)[bits(2)]
        att = mx if giveup else 1 + int(rnd() * (mx - 1))
        msg = fmt % {"ms": 100 * 2 ** (att - 1) + bits(7), "a": att, "max": mx, "ip": internal_ip()}
        return msg, "", ',"retry":false' if giveup else ',"retry":true'

    def r_file(a):
        (fmt,) = a
        msg = fmt % {"hex": "%016x" % bits(64), "svc": APP_SVC_NAMES[int(rnd() * len(APP_SVC_NAMES))],
                     "uuid": uuid4(), "n": 1000 + int(20001 ** rnd())}
        return msg, "", ""

    def r_job(a):
        fmt, dec, timed = a
        d = dur(9.0, 1.5, dec) if timed else 0
        msg = fmt % {"id": uuid4(), "d": d, "s": "%.1f" % (d / 1000.0), "n": int(exp(gauss(7, 2))),
                     "err": ("timeout after 300s", "lock not acquired", "OOMKilled",
                             "upstream 503", "disk quota exceeded")[int(rnd() * 5)]}
        return msg, (',"duration_ms":%r' % d) if timed else "", ""

    def r_misc(a):
        fmt, mode, dec = a  # mode: 0 no fields, 1 duration_ms, 2 user_id + duration_ms, 3 user_id
        uidx = user()
        d = dur(2.0, 1.0, dec)
        msg = fmt % {"uid": user_ids[uidx], "email": emails[uidx], "b": "true" if bits(1) else "false",
                     "n": 1 + int(exp(gauss(3, 1.5))), "d": d, "us": 5 + bits(9),
                     "docs": 1 + int(exp(gauss(6, 1.2))), "deps": 2 + bits(3), "dev": 1 + bits(1),
                     "port": (8080, 8443, 9090, 3000)[bits(2)], "id": uuid4(),
                     "hex": "%012x" % bits(48), "name": display[uidx], "i": bits(6),
                     "order": 1000000 + int(rnd() * 8000000),
                     "amt": "%d.%02d" % (bits(9), bits(6)), "cur": CURRENCIES[bits(3)]}
        if mode == 1:
            return msg, ',"duration_ms":%r' % d, ""
        if mode == 2:
            return msg, ',"user_id":%d,"duration_ms":%r' % (user_ids[uidx], d), ""
        if mode == 3:
            return msg, ',"user_id":%d' % user_ids[uidx], ""
        return msg, "", ""

    # ---- catalog: (level, family, family weight, services, render, aux, trace_p)
    APP_SVC_NAMES = tuple(s[0] for s in APP_SERVICES)
    APP_ROUTE_T = tuple(r + (tuple(id_gen[k] for k in r[2]),) for r in APP_ROUTES)
    fams = {}  # (level, family) -> [weight, [(services, render, aux, trace_p)]]

    def add(level, fam, fam_w, services, render, aux, trace_p):
        entry = fams.setdefault((level, fam), [fam_w, []])
        entry[1].append((tuple(services), render, aux, trace_p))

    http_phr = (
        "%(m)s %(p)s %(s)d %(d)sms",
        "request completed: %(m)s %(p)s status=%(s)d duration=%(d)sms bytes=%(b)d",
        "handled %(m)s %(p)s in %(d)sms",
        "HTTP %(m)s %(p)s -> %(s)d (%(b)d bytes, %(d)sms)",
    )
    for route in APP_ROUTE_T:
        for i, phr in enumerate(http_phr):
            health = route[1] == "/healthz"
            user_p = 0.0 if health else 0.35
            add("INFO", "http", 55, route[3], r_http, (phr, route, 1 + (i % 3), user_p), 0.1 if health else 0.97)
    for status, reason in HTTP_WARN_REASONS:
        for phr in ("%(m)s %(p)s -> %(s)d: <r>",
                    'request rejected status=%(s)d path=%(p)s client=%(ip)s reason="<r>"'):
            add("WARN", "http", 40, ("api-gateway", "api", "auth", "orders", "cart", "catalog"),
                r_http_fail, (bake(phr, r=reason), status, 1.5, 1), 0.97)
    for status, cause in HTTP_ERROR_CAUSES:
        for phr in ("%(m)s %(p)s failed with %(s)d after %(d)sms: <c>",
                    "unhandled error serving %(m)s %(p)s (status=%(s)d): <c>"):
            add("ERROR", "http", 30, ("api-gateway", "api", "checkout", "orders", "payments"),
                r_http_fail, (bake(phr, c=cause), status, 5.0, 2), 0.97)

    db_svcs = ("api", "users", "orders", "payments", "inventory", "billing", "checkout", "auth")
    for t in TABLES:
        add("WARN", "db_slow", 20, db_svcs, r_db,
            (bake("slow query (%(d)sms) on <t>: SELECT * FROM <t> WHERE id = $1", t=t), 6.5, 0.6, 1), 0.8)
        add("WARN", "db_slow", 20, db_svcs, r_db,
            (bake("slow query detected table=<t> duration=%(d)sms rows=%(rows)d", t=t), 6.8, 0.7, 2), 0.8)
        add("DEBUG", "db", 35, db_svcs, r_db,
            (bake("query executed on <t> in %(d)sms rows=%(rows)d", t=t), 0.3, 1.0, 3), 0.8)
    add("DEBUG", "db", 35, db_svcs, r_db,
        ("acquired connection from pool primary in %(d)sms (active=%(n)d, idle=%(idle)d)", 0.0, 1.0, 3), 0.5)
    add("DEBUG", "db", 35, db_svcs, r_db,
        ("BEGIN; UPDATE orders SET status = 'paid' WHERE id = %(id)d; COMMIT (%(d)sms)", 1.0, 0.8, 2), 0.8)

    for c in CACHES:
        ku = c in ("user", "session", "cart", "token")
        for verb in ("miss", "hit"):
            add("DEBUG", "cache", 40, ("api", "users", "catalog", "cart", "auth", "checkout"),
                r_cache, (bake("cache <v> for key <c>:%(k)d", v=verb, c=c), ku), 0.7)
        add("INFO", "cache", 2, ("api", "catalog", "cart"), r_cache,
            (bake("evicted %(n)d keys from <c> cache (reason=memory_pressure)", c=c), False), 0.1)
        add("DEBUG", "cache", 40, ("api", "catalog"), r_cache,
            (bake("cache set <c>:%(k)d ttl=%(ttl)ds", c=c), ku), 0.7)

    auth_svcs = ("auth", "api-gateway")
    for m in ("password", "sso", "oauth-google", "oauth-github", "magic-link"):
        add("INFO", "auth", 8, auth_svcs, r_auth,
            (bake("user %(email)s logged in from %(ip)s via <m>", m=m), 1), 0.9)
    for phr, lvl, w in (("user %(uid)d logged out", "INFO", 8),
                        ("issued access token for user %(uid)d (expires in %(ttl)ds)", "INFO", 8),
                        ("password reset requested for %(email)s", "INFO", 8),
                        ('profile updated for user "%(name)s" (id=%(uid)d)', "INFO", 8),
                        ("session %(sid)s expired for user %(uid)d", "WARN", 8),
                        ("login failed for %(email)s from %(ip)s: invalid password", "WARN", 8),
                        ("login failed for %(email)s from %(ip)s: account locked", "WARN", 8),
                        ("login failed for %(email)s from %(ip)s: MFA code expired", "WARN", 8),
                        ("failed to verify JWT signature: kid %(kid)s not found in JWKS", "ERROR", 5)):
        add(lvl, "auth", w, auth_svcs + (("users",) if "profile" in phr else ()), r_auth, (phr, 2), 0.9)

    pay_svcs = ("payments", "checkout", "billing")
    for p in PROVIDERS:
        add("INFO", "payments", 5, pay_svcs, r_pay,
            (bake("payment %(pid)s authorized amount=%(amt)s %(cur)s provider=<p> in %(d)sms", p=p), 2), 0.95)
        add("INFO", "payments", 5, pay_svcs, r_pay,
            (bake("payment %(pid)s captured for %(order)s via <p>", p=p), 1), 0.95)
        for code in ("card_declined", "insufficient_funds", "expired_card", "processing_error"):
            add("ERROR", "payments", 15, pay_svcs, r_pay,
                (bake("payment failed for order %(order)s: <code> (provider=<p>, ref=%(code)s)",
                      code=code, p=p), 2), 0.95)
        add("WARN", "payments", 3, pay_svcs, r_pay,
            (bake("refund %(pid)s pending for %(order)s: <p> timeout after %(d)sms", p=p), 1), 0.95)
    add("WARN", "payments", 3, ("fraud-detector",), r_pay,
        ("fraud score above threshold for user %(uid)d order %(order)s (amount=%(amt)s %(cur)s)", 3), 0.9)

    kafka_svcs = ("orders", "inventory", "search-indexer", "notifications", "billing", "recommendations")
    for topic, group in TOPICS:
        add("WARN", "kafka", 10, kafka_svcs, r_kafka,
            (bake("consumer lag on topic <t> partition %(p)d is %(lag)d messages (group=<g>)",
                  t=topic, g=group),), 0.1)
        add("INFO", "kafka", 3, kafka_svcs, r_kafka,
            (bake("partition rebalance: assigned %(n)d partitions of <t> to consumer <g>-%(cid)s",
                  t=topic, g=group),), 0.05)
        add("DEBUG", "kafka", 10, kafka_svcs, r_kafka,
            (bake("committed offset %(off)d for <t>-%(p)d", t=topic),), 0.3)

    jvm = ("search-indexer", "search-api", "payments", "billing", "fraud-detector", "orders")
    gov = ("api-gateway", "api", "auth", "cart")
    for fmt, lvl, mu, svcs in (
            ("GC pause (G1 Evacuation Pause) (young) %(d)sms, heap %(a)dM->%(b)dM(%(c)dM)", "INFO", 2.7, jvm),
            ("GC pause (G1 Evacuation Pause) (mixed) %(d)sms, heap %(a)dM->%(b)dM(%(c)dM)", "INFO", 3.3, jvm),
            ("GC pause (G1 Humongous Allocation) (young) %(d)sms, heap %(a)dM->%(b)dM(%(c)dM)", "INFO", 3.5, jvm),
            ("Pause Full (Allocation Failure) %(a)dM->%(b)dM(%(c)dM) %(d)sms", "WARN", 6.3, jvm),
            ("gc %(n)d @%(up)ss %(pct)d%%: %(d)sms pause, heap %(a)d->%(b)d MB", "INFO", 0.0, gov)):
        add(lvl, "gc", 4 if lvl == "WARN" else 3, svcs, r_gc, (fmt, mu, 2), 0.0)

    for name, port in DEPS:
        svcs = APP_SVC_NAMES[:12]
        add("ERROR", "conn", 20, svcs, r_conn,
            (bake("connection refused to %(ip)s:<port> (<n>)", port=port, n=name), 1), 0.5)
        add("ERROR", "conn", 20, svcs, r_conn,
            (bake("dial tcp %(ip)s:<port>: connect: connection refused", port=port), 2), 0.5)
        add("WARN", "retry", 15, svcs, r_conn,
            (bake("<n> connection to %(ip)s:<port> reset by peer, reconnecting (attempt %(n)d)",
                  n=name, port=port), 3), 0.4)
    for op in RETRY_OPS:
        add("WARN", "retry", 15, APP_SVC_NAMES, r_retry,
            (bake("retrying <op> in %(ms)d ms (attempt %(a)d/%(max)d)", op=op), False), 0.6)
        add("ERROR", "retry", 10, APP_SVC_NAMES, r_retry,
            (bake("giving up on <op> after %(max)d attempts", op=op), True), 0.6)

    for p in FILE_PATHS:
        add("ERROR", "file", 10, ("media-resizer", "search-indexer", "scheduler", "billing", "api"),
            r_file, (bake("file not found: <p>", p=p),), 0.2)
    add("ERROR", "file", 10, ("media-resizer", "billing"), r_file,
        ('could not open "/srv/exports/%(svc)s/%(hex)s.csv": permission denied',), 0.2)

    for j in JOBS:
        add("INFO", "job", 5, ("scheduler", "billing", "search-indexer", "email-sender"), r_job,
            (bake("job <j> started id=%(id)s", j=j), 1, False), 0.3)
        add("INFO", "job", 5, ("scheduler", "billing", "search-indexer", "email-sender"), r_job,
            (bake("job <j> finished id=%(id)s in %(s)ss processed=%(n)d", j=j), 1, True), 0.3)
        add("ERROR", "job", 10, ("scheduler", "billing", "search-indexer", "email-sender"), r_job,
            (bake("job <j> failed id=%(id)s: %(err)s", j=j), 1, True), 0.3)

    for fmt in ("unrecoverable error: out of memory (requested %(n)d bytes); shutting down",
                "panic: runtime error: index out of range [%(i)d] with length %(i)d",
                "failed to bind 0.0.0.0:%(port)d: address already in use",
                'database migration %(n)d failed: relation "order_events" does not exist; aborting',
                "lost leadership lease for shard-%(i)d; shutting down",
                "certificate /etc/ssl/private/server.pem expired; refusing to start"):
        add("FATAL", "fatal", 100, APP_SVC_NAMES, r_misc, (fmt, 0, 1), 0.1)

    for f in FLAGS:
        add("DEBUG", "flags", 15, ("api", "checkout", "catalog", "search-api", "recommendations"),
            r_misc, (bake("feature flag <f> evaluated to %(b)s for user %(uid)d", f=f), 3, 3), 0.8)
    add("DEBUG", "flags", 15, ("api-gateway",), r_misc,
        ("request headers parsed in %(us)dµs", 0, 3), 0.9)
    for fmt, fam, w, svcs, wu in (
            ("health check passed (%(deps)d dependencies ok) in %(d)sms", "misc", 6, APP_SVC_NAMES, 1),
            ("listening on 0.0.0.0:%(port)d", "misc", 1, APP_SVC_NAMES, 0),
            ("config reloaded from /etc/app/config.yaml (%(n)d keys)", "misc", 1, APP_SVC_NAMES, 0),
            ("order %(order)d placed by user %(uid)d total=%(amt)s %(cur)s", "orders", 6,
             ("orders", "checkout"), 3),
            ("order %(order)d shipped via carrier=dhl tracking=%(hex)s", "orders", 3, ("shipping",), 0),
            ("email sent to %(email)s template=order-confirmation in %(d)sms", "email", 3,
             ("email-sender", "notifications"), 2),
            ("email sent to %(email)s template=password-reset in %(d)sms", "email", 3,
             ("email-sender", "notifications"), 2),
            ("push notification delivered to user %(uid)d (%(dev)d devices)", "email", 3,
             ("notifications",), 3),
            ("indexed %(docs)d documents into products-v7 in %(d)sms", "search", 4, ("search-indexer",), 1),
            ("indexed %(docs)d documents into reviews-v3 in %(d)sms", "search", 4, ("search-indexer",), 1),
            ("refreshed index products-v7 (%(n)d segments merged)", "search", 4, ("search-indexer",), 0),
            ("generated %(i)d recommendations for user %(uid)d in %(d)sms", "recs", 4,
             ("recommendations",), 2),
            ("resized image %(id)s to 3 variants in %(d)sms", "media", 2, ("media-resizer",), 1),
            ("reserved %(deps)d units of sku-%(n)d for order %(order)d", "inventory", 3, ("inventory",), 0)):
        add("INFO", fam, w, svcs, r_misc, (fmt, wu, 2), 0.4)

    # ---- weights: level share x family share x Zipf within family -----------
    svc_weight = {s[0]: s[1] for s in APP_SERVICES}
    hosts_region = {}
    host_names = sorted({h for s in APP_SERVICES for h in s[2]})
    for h in host_names:
        hosts_region[h] = APP_REGIONS[C.randrange(len(APP_REGIONS))]
    svc_entries = {}
    for name, _, hosts in APP_SERVICES:
        pairs = [((f'"service":"{name}","host":"{h}"', f',"region":"{hosts_region[h]}"'), 1.0 / (i + 1) ** 0.4)
                 for i, h in enumerate(hosts)]
        svc_entries[name] = table(pairs, 60)
    pool_cache = {}

    def svc_pool(services):
        if services not in pool_cache:
            pool = []
            for s in services:
                ent = svc_entries[s]
                pool.extend(ent * max(1, int(svc_weight[s] * 60 / len(ent))))
            pool_cache[services] = tuple(pool)
        return pool_cache[services]

    weighted = []  # (weight, level, services, render, aux, trace_p, family)
    for level, share in LEVEL_SHARE:
        keys = [k for k in fams if k[0] == level]
        fam_total = sum(fams[k][0] for k in keys)
        for k in keys:
            fam_w, variants = fams[k]
            order = list(range(len(variants)))
            C.shuffle(order)
            zw = zipf_weights(len(variants))
            ztot = sum(zw)
            for rank, vi in enumerate(order):
                services, render, aux, tp = variants[vi]
                w = share * fam_w / fam_total * zw[rank] / ztot
                weighted.append((w, level, services, render, aux, tp, k[1]))

    # calibrate: ~5% of all lines carry a nested "http" object, ~60% a trace_id
    http_share = sum(t[0] for t in weighted if t[6] == "http")
    nest[0] = min(1.0, 0.05 / http_share)
    scale = 1.0
    for _ in range(20):
        got = sum(t[0] * min(0.98, t[5] * scale) for t in weighted)
        scale *= 0.60 / got

    templates, cum, acc = [], [], 0.0
    for w, level, services, render, aux, tp, fam in weighted:
        region_p = 0.35 if fam in ("http", "payments", "auth") else 0.15
        templates.append((level, svc_pool(services), render, aux, min(0.98, tp * scale), region_p))
        acc += w
        cum.append(acc)
    return templates, cum


def gen_app(rng, count, start_us, rate, sink):
    C = random.Random(CATALOG_SEED)
    templates, cum = build_app(C, rng)
    rnd = rng.random
    bits = rng.getrandbits
    expo = rng.expovariate
    choices = rng.choices
    jstr = _json_str
    tags = tuple(',"tags":[' + ",".join(f'"{t}"' for t in tg) + "]" for tg in APP_TAGS)
    ntags = len(tags)
    lam = rate / 1e6  # events per microsecond
    t = float(start_us)
    prefixes = {}
    done = 0
    while done < count:
        picks = choices(templates, cum_weights=cum, k=BLOCK)  # always BLOCK: prefix-stable
        n = min(BLOCK, count - done)
        out = []
        append = out.append
        for i in range(n):
            level, pool, render, aux, tp, rp = picks[i]
            t += expo(lam)
            ts = int(t)
            if rnd() < 0.01:  # late / out-of-order line
                ts = max(start_us, ts - int(rnd() * 5000000))
            sec, us = divmod(ts, 1000000)
            pre = prefixes.get(sec)
            if pre is None:
                if len(prefixes) > 64:
                    prefixes.clear()
                d = civil(sec)
                pre = prefixes[sec] = "%04d-%02d-%02dT%02d:%02d:%02d." % (
                    d.year, d.month, d.day, d.hour, d.minute, d.second)
            msg, fields, tail = render(aux)
            sh, region = pool[int(rnd() * len(pool))]
            trace = ',"trace_id":"%032x"' % bits(128) if rnd() < tp else ""
            if rnd() >= rp:
                region = ""
            tg = tags[int(rnd() * ntags)] if rnd() < 0.03 else ""
            append(f'{{"timestamp":"{pre}{us:06d}Z","level":"{level}",{sh},"message":{jstr(msg)}'
                   f'{trace}{fields}{region}{tail}{tg}}}')
        sink.write(out)
        done += n


# --------------------------------------------------------------------------
# nginx: combined access log
# --------------------------------------------------------------------------

NGX_UAS = {  # class -> [(user agent, weight, protocol table)]
    "browser": [
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Safari/537.36", 30),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Safari/537.36", 14),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/18.1 Safari/605.1.15", 9),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/18.1 Mobile/15E148 Safari/604.1", 18),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", 6),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", 7),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/131.0.6778.81 Mobile Safari/537.36", 12),
        ("Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) "
         "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", 4),
    ],
    "app": [
        ("ShopApp/5.12.0 (iPhone; iOS 18.1; Scale/3.00)", 55),
        ("okhttp/4.12.0", 45),
    ],
    "bot": [
        ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 70),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 30),
    ],
    "tool": [
        ("curl/8.5.0", 40),
        ("python-requests/2.32.3", 35),
        ("Go-http-client/1.1", 25),
    ],
    "scanner": [
        ("Mozilla/5.0 zgrab/0.x", 100),
    ],
    "probe": [
        ("kube-probe/1.31", 100),
    ],
}
NGX_PROTO = {"browser": table([("HTTP/2.0", 80), ("HTTP/1.1", 20)]),
             "app": table([("HTTP/2.0", 60), ("HTTP/1.1", 40)]),
             "bot": table([("HTTP/1.1", 100)]),
             "tool": table([("HTTP/1.1", 95), ("HTTP/1.0", 5)]),
             "scanner": table([("HTTP/1.1", 90), ("HTTP/1.0", 10)]),
             "probe": table([("HTTP/1.1", 100)])}
NGX_STATUS = {
    "static": table([(200, 80), (304, 18), (404, 2)]),
    "page": table([(200, 930), (301, 15), (302, 20), (404, 25), (500, 5), (502, 3), (503, 2)]),
    "get": table([(200, 900), (304, 20), (400, 10), (401, 20), (403, 5), (404, 30), (429, 10),
                  (500, 3), (502, 1), (503, 1)]),
    "post": table([(201, 500), (200, 330), (400, 60), (401, 30), (409, 10), (422, 20), (429, 15),
                   (500, 6), (502, 3), (503, 2)], 2000),
    "delete": table([(204, 900), (404, 60), (401, 30), (500, 10)]),
    "beacon": table([(204, 995), (400, 5)]),
    "health": table([(200, 999), (503, 1)]),
    "scan": table([(404, 950), (403, 30), (400, 20)]),
    "ws": table([(101, 970), (400, 30)]),
}
# (audiences, weight, methods, path format, id kinds, status profile, log-mean size)
NGX_ROUTES = (
    ("b", 60, "GET", "/", (), "page", 10.3),
    ("b", 5, "GET", "/index.html", (), "page", 10.3),
    ("b", 12, "GET", "/favicon.ico", (), "static", 8.6),
    ("o", 8, "GET", "/robots.txt", (), "static", 5.5),
    ("b", 70, "GET", "/static/js/app.%s.js", ("build",), "static", 12.4),
    ("b", 60, "GET", "/static/css/main.%s.css", ("build",), "static", 10.8),
    ("bo", 120, "GET", "/static/img/products/%d.jpg", ("product",), "static", 10.9),
    ("b", 25, "GET", "/static/img/logo.svg", (), "static", 8.0),
    ("b", 15, "GET", "/fonts/inter-var.woff2", (), "static", 11.5),
    ("bo", 90, "GET", "/products/%d", ("product",), "page", 10.6),
    ("bo", 15, "GET", "/products/%d/reviews?page=%d", ("product", "page"), "page", 10.0),
    ("bo", 30, "GET", "/category/%s?page=%d&sort=%s", ("slug", "page", "sort"), "page", 10.9),
    ("b", 20, "GET", "/cart", (), "page", 9.8),
    ("b", 8, "GET", "/checkout", (), "page", 10.1),
    ("b", 6, "GET", "/account/orders/%d", ("order",), "page", 9.9),
    ("b", 25, "GET", "/search?q=%s", ("term",), "page", 10.7),
    ("b", 6, "GET", "/login", (), "page", 9.0),
    ("bo", 5, "GET", "/blog/2026/%02d/%s", ("month", "slug"), "page", 10.5),
    ("bat", 60, "GET", "/api/v1/users/%d", ("user",), "get", 6.5),
    ("bat", 25, "GET", "/api/v1/users/%d/orders?page=%d", ("user", "page"), "get", 8.0),
    ("bat", 30, "GET", "/api/v1/orders/%d", ("order",), "get", 7.2),
    ("bat", 12, "POST", "/api/v1/orders", (), "post", 6.8),
    ("bat", 50, "GET", "/api/v1/products?page=%d&per_page=50", ("page",), "get", 9.5),
    ("bat", 70, "GET", "/api/v1/products/%d", ("product",), "get", 7.8),
    ("ba", 20, "POST", "/api/v1/cart/%d/items", ("cart",), "post", 6.0),
    ("ba", 5, "DELETE", "/api/v1/cart/%d/items/%d", ("cart", "product"), "delete", 0.0),
    ("bat", 35, "GET", "/api/v1/search?q=%s&page=%d", ("term", "page"), "get", 9.0),
    ("ba", 10, "POST", "/api/v1/auth/login", (), "post", 6.3),
    ("ba", 15, "POST", "/api/v1/auth/refresh", (), "post", 6.0),
    ("ba", 6, "POST", "/api/v2/payments", (), "post", 6.6),
    ("ba", 4, "GET", "/api/v2/payments/%d", ("order",), "get", 6.4),
    ("at", 10, "GET", "/api/v1/inventory/%d/stock", ("product",), "get", 5.0),
    ("ba", 20, "GET", "/api/v1/recommendations?user_id=%d", ("user",), "get", 8.2),
    ("ba", 45, "POST", "/api/v1/events", (), "beacon", 0.0),
    ("ba", 12, "POST", "/graphql", (), "post", 8.5),
    ("ba", 3, "GET", "/ws/notifications", (), "ws", 0.0),
    ("t", 5, "GET", "/metrics", (), "health", 9.2),
    ("p", 100, "GET", "/healthz", (), "health", 1.0),
    ("s", 20, "GET", "/wp-login.php", (), "scan", 5.0),
    ("s", 15, "GET", "/.env", (), "scan", 5.0),
    ("s", 8, "GET", "/.git/config", (), "scan", 5.0),
    ("s", 8, "POST", "/cgi-bin/luci/;stok=/locale", (), "scan", 5.0),
    ("s", 6, "GET", "/phpmyadmin/index.php", (), "scan", 5.0),
    ("s", 5, "GET", "/admin/config.php", (), "scan", 5.0),
)
NGX_CLASS_AUDIENCE = {"browser": "b", "app": "a", "bot": "o", "tool": "t", "scanner": "s", "probe": "p"}
SLUGS = ("running", "kitchen", "electronics", "outdoor", "home-office", "kids", "audio",
         "winter-sale", "gifts-under-50", "new-arrivals")
SORTS = ("price_asc", "price_desc", "popular", "newest", "rating")
REFERERS_EXT = ("https://www.google.com/", "https://www.google.com/", "https://www.google.com/",
                "https://www.bing.com/", "https://duckduckgo.com/", "https://t.co/",
                "https://www.facebook.com/", "https://news.ycombinator.com/")


def gen_nginx(rng, count, start_us, rate, sink):
    C = random.Random(CATALOG_SEED + 1)
    rnd = rng.random
    bits = rng.getrandbits
    gauss = rng.gauss
    exp = math.exp
    expo = rng.expovariate

    user_ids = C.sample(range(100000, 10000000), 50000)
    nusers1 = len(user_ids) + 1
    terms = tuple(t.replace(" ", "+") for t in SEARCH_TERMS)
    builds = tuple("%08x" % C.getrandbits(32) for _ in range(3))
    id_gen = {
        "user": lambda: user_ids[int(nusers1 ** rnd()) - 1],
        "order": lambda: 1000000 + int(rnd() * 8000000),
        "product": lambda: 1000 + int(20001 ** rnd()),
        "cart": lambda: 500000 + int(rnd() * 400000),
        "page": lambda: 1 + int(12 ** rnd() ** 2),
        "term": lambda: terms[int(21 ** rnd()) - 1],
        "slug": lambda: SLUGS[int(11 ** rnd()) - 1],
        "sort": lambda: SORTS[bits(3) % 5],
        "month": lambda: 1 + bits(4) % 11,
        "build": lambda: builds[0] if rnd() < 0.9 else builds[1 + bits(1)],
    }

    # clients: ~2000 IPs, each with a class and a sticky user agent
    classes = table([("browser", 72), ("app", 14), ("bot", 3), ("tool", 5), ("scanner", 6)], 1000)
    clients = []
    for _ in range(2000):
        cls = classes[C.randrange(len(classes))]
        if cls == "bot":
            ip = ("66.249.%d.%d" if C.random() < 0.7 else "157.55.%d.%d") % (C.randrange(64, 96),
                                                                               C.randrange(1, 255))
        else:
            ip = public_ip(C)
        uas = NGX_UAS[cls]
        ua_tbl = table(uas, 100)
        ua = ua_tbl[C.randrange(len(ua_tbl))]
        clients.append((ip, cls, ua))
    # scanners hit rarely; keep heavy hitters to browser/app/tool NAT-like clients
    clients.sort(key=lambda c: (c[1] == "scanner", c[1] == "bot"))
    head = clients[:50]
    C.shuffle(head)
    clients[:50] = head
    probes = tuple(("10.0.%d.%d" % (i // 4, 11 + i), "probe", "kube-probe/1.31") for i in range(6))
    nclients1 = len(clients) + 1

    route_tables = {}
    for cls, aud in NGX_CLASS_AUDIENCE.items():
        pairs = []
        for r in NGX_ROUTES:
            if aud in r[0]:
                gens = tuple(id_gen[k] for k in r[4])
                pairs.append(((r[2], r[3], gens, NGX_STATUS[r[5]], r[6], r[5]), r[1]))
        route_tables[cls] = table(pairs, 4000)
    internal_pages = tuple(
        ["https://shop.example.com/"] * 6 + ["https://shop.example.com/cart"] * 2 +
        ["https://shop.example.com/products/%d" % (1000 + int(20001 ** C.random())) for _ in range(40)] +
        ["https://shop.example.com/category/%s" % s for s in SLUGS] +
        ["https://shop.example.com/search?q=%s" % t for t in terms])

    lam = rate / 1e6
    t = float(start_us)
    cached_sec, cached = None, ""
    done = 0
    while done < count:
        n = min(BLOCK, count - done)
        out = []
        append = out.append
        for _ in range(n):
            t += expo(lam)
            sec = int(t) // 1000000
            if sec != cached_sec:
                d = civil(sec)
                cached_sec = sec
                cached = "[%02d/%s/%04d:%02d:%02d:%02d +0000]" % (
                    d.day, MONTHS[d.month - 1], d.year, d.hour, d.minute, d.second)
            if rnd() < 0.02:
                ip, cls, ua = probes[bits(3) % 6]
            else:
                ip, cls, ua = clients[int(nclients1 ** (rnd() ** 0.8)) - 1]  # skewed, top IP ~5%
            rt = route_tables[cls]
            method, pfmt, gens, stt, size_mu, kind = rt[int(rnd() * len(rt))]
            if gens:
                path = pfmt % (gens[0]() if len(gens) == 1 else tuple(g() for g in gens))
            else:
                path = pfmt
            if kind == "page" and rnd() < 0.08:
                path += ("&" if "?" in path else "?") + "utm_source=newsletter&utm_medium=email"
            if cls == "browser" and kind == "page" and method == "GET" and rnd() < 0.01:
                method = "HEAD"
            status = stt[int(rnd() * len(stt))]
            if status in (204, 304, 101) or method == "HEAD":
                size = 0
            elif status < 300:
                size = int(exp(gauss(size_mu, 0.45 if kind == "static" else 0.8)))
            elif status < 400:
                size = 162 if status == 301 else 138
            elif status < 500:
                size = 153 if kind in ("static", "scan") else 60 + bits(6)
            else:
                size = {500: 177, 502: 157, 503: 197}.get(status, 177) if kind != "get" else 70 + bits(6)
            if cls == "browser":
                if kind in ("static", "get", "post", "delete", "beacon", "ws"):
                    ref = internal_pages[int(rnd() * len(internal_pages))]
                else:
                    x = rnd()
                    ref = ("-" if x < 0.4 else REFERERS_EXT[bits(3)] if x < 0.72
                           else internal_pages[int(rnd() * len(internal_pages))])
            else:
                ref = "-"
            proto = NGX_PROTO[cls]
            append(f'{ip} - - {cached} "{method} {path} {proto[int(rnd() * len(proto))]}" '
                   f'{status} {size} "{ref}" "{ua}"')
        sink.write(out)
        done += n


# --------------------------------------------------------------------------
# syslog: RFC 5424
# --------------------------------------------------------------------------

SYS_HOSTS = tuple(["web-%02d" % i for i in range(1, 7)] + ["api-%02d" % i for i in range(1, 5)] +
                  ["worker-%02d" % i for i in range(1, 7)] + ["db-01", "db-02", "db-03",
                  "mail-01", "mail-02", "bastion-01", "bastion-02", "build-01"])
SYS_USERS = (("deploy", 1001), ("ubuntu", 1000), ("ansible", 1002), ("alice", 1003),
             ("bob", 1004), ("git", 998), ("carol", 1005), ("backup", 1006))
SYS_BAD_USERS = ("admin", "test", "oracle", "postgres", "user", "guest", "pi", "ftpuser",
                 "support", "ubnt", "git", "mysql", "hadoop", "deploy1", "jenkins")
SUDO_CMDS = ("/usr/bin/systemctl restart nginx", "/usr/bin/apt-get update",
             "/usr/bin/journalctl -u strata --since today", "/bin/cat /var/log/auth.log",
             "/usr/bin/docker ps -a", "/usr/bin/tail -f /var/log/syslog", "/usr/sbin/reboot",
             "/usr/bin/systemctl status postgresql", "/bin/bash")
CRON_CMDS = (("root", "command -v debian-sa1 > /dev/null && debian-sa1 1 1"),
             ("root", "   cd / && run-parts --report /etc/cron.hourly"),
             ("deploy", "/usr/local/bin/backup.sh >> /var/log/backup.log 2>&1"),
             ("www-data", "php /var/www/app/artisan schedule:run >> /dev/null 2>&1"),
             ("root", "test -x /etc/cron.daily/popularity-contest && /etc/cron.daily/popularity-contest --crond"),
             ("backup", "/usr/bin/flock -n /tmp/strata-snap.lock /usr/local/bin/strata-snapshot"))
SYS_UNITS = (("nginx.service", "A high performance web server and a reverse proxy server"),
             ("strata.service", "Strata log store"),
             ("postgresql@16-main.service", "PostgreSQL Cluster 16-main"),
             ("docker.service", "Docker Application Container Engine"),
             ("node-exporter.service", "Prometheus Node Exporter"),
             ("fluent-bit.service", "Fluent Bit"))
MX_HOSTS = ("gmail-smtp-in.l.google.com", "mx1.example.org", "mx.mail.example.net",
            "aspmx.l.google.com", "mx01.mail.icloud.com", "mta5.am0.yahoodns.net")
OOM_PROCS = ("java", "node", "python3", "strata", "postgres", "ruby")


def gen_syslog(rng, count, start_us, rate, sink):
    C = random.Random(CATALOG_SEED + 2)
    rnd = rng.random
    bits = rng.getrandbits
    expo = rng.expovariate

    nh = len(SYS_HOSTS)
    hosts_all = SYS_HOSTS
    hosts_mail = ("mail-01", "mail-02")
    hosts_ssh = table([(h, 12 if h.startswith("bastion") else 4 if h == "build-01" else 1) for h in SYS_HOSTS], 400)
    hosts_sudo = table([(h, 6 if h.startswith("bastion") else 1) for h in SYS_HOSTS], 200)
    attackers = tuple(public_ip(C) for _ in range(400))
    nattack1 = len(attackers) + 1
    office = tuple("10.%d.%d.%d" % (C.randrange(8), C.randrange(256), C.randrange(1, 255)) for _ in range(20))
    fprint = {u: base64.b64encode(C.getrandbits(256).to_bytes(32, "big")).decode().rstrip("=")
              for u, _ in SYS_USERS}
    boot = {h: start_us - C.randrange(3600, 60 * 86400) * 1000000 for h in SYS_HOSTS}
    stable_pid = {(h, a): C.randrange(400, 4000) for h in SYS_HOSTS
                  for a in ("sshd", "postfix/qmgr", "systemd-logind", "systemd-resolved",
                            "systemd-timesyncd", "postfix/master")}
    relay_ips = {mx: public_ip(C) for mx in MX_HOSTS}
    mac_of = {h: ":".join("%02x" % b for b in C.getrandbits(48).to_bytes(6, "big")) for h in SYS_HOSTS}
    mail_from = ("noreply@shop.example.com", "billing@shop.example.com", "alerts@ops.example.com")
    rdns = ("mail-out.example.com", "unknown", "smtp.partner.example.org", "unknown",
            "relay.example.net")

    def v_common(host, ts):
        u, uid = SYS_USERS[int(9 ** rnd()) - 1]
        x = rnd()
        ip = office[bits(4) % 20] if x < 0.8 else attackers[int(nattack1 ** rnd()) - 1]
        return {"user": u, "uid": uid, "ip": ip, "xip": attackers[int(nattack1 ** rnd()) - 1],
                "port": 32768 + int(rnd() * 28000), "fp": fprint[u],
                "bad": SYS_BAD_USERS[int(16 ** rnd()) - 1], "sid": 1 + int(rnd() * 9000),
                "n": 1 + bits(3), "tty": bits(2), "cmd": SUDO_CMDS[int(10 ** rnd()) - 1]}

    def v_kernel(host, ts):
        up = (ts - boot[host]) / 1e6
        return {"up": "%12.6f" % up, "port": (443, 80, 22)[bits(2) % 3], "ip": "10.0.%d.%d" % (bits(3), bits(8)),
                "xip": attackers[int(nattack1 ** rnd()) - 1], "ttl": 40 + bits(6), "id": bits(16),
                "sport": 1024 + bits(15), "dport": (23, 445, 3389, 8080, 5900, 6379, 2375)[bits(3) % 7],
                "pid": 300 + int(rnd() * 60000), "proc": OOM_PROCS[bits(3) % 6],
                "vm": 4000000 + int(rnd() * 20000000), "rss": 1000000 + int(rnd() * 14000000),
                "pt": 4000 + bits(14), "uid": (0, 1001, 999, 33)[bits(2)],
                "at": "%d.%03d" % (ts // 1000000, (ts // 1000) % 1000), "serial": bits(20),
                "sec": int(rnd() * 1900000000), "a": 2500 + bits(10), "b": 2500 + bits(9),
                "rate": 50000 - bits(14), "veth": "%07x" % bits(28), "br": 1 + bits(3),
                "mac": mac_of[host] + ":%02x:%02x:%02x:%02x:%02x:%02x:08:00" % tuple(
                    bits(96).to_bytes(12, "big")[6:])}

    def v_mail(host, ts):
        mx = MX_HOSTS[int(7 ** rnd()) - 1]
        d = [round(rnd() * m, 2) for m in (0.05, 0.01, 0.3, 0.8)]
        return {"qid": "%010X" % bits(40), "xip": attackers[int(nattack1 ** rnd()) - 1],
                "rdns": rdns[bits(3) % 5], "mx": mx, "rip": relay_ips[mx],
                "from": mail_from[bits(2) % 3], "to": "%s@%s" % (FIRST_NAMES[int(rnd() * 60)],
                                                                 EMAIL_DOMAINS[bits(3) % 6]),
                "size": 1500 + int(rnd() * 60000), "delay": "%.2f" % sum(d),
                "d1": "%g" % d[0], "d2": "%g" % d[1], "d3": "%g" % d[2], "d4": "%g" % d[3],
                "uuid": "%032x" % bits(128), "tok": "%08x%04x" % (bits(32), bits(16)),
                "n": 1700000000 + bits(28), "helo": ("ylmf-pc", "localhost", "WIN-%05d" % bits(16))[bits(2) % 3]}

    def v_cron(host, ts):
        u, cmd = CRON_CMDS[int(7 ** rnd()) - 1]
        return {"cu": u, "cmd": cmd, "cuid": 0 if u == "root" else 33 if u == "www-data" else 1001}

    def v_systemd(host, ts):
        unit, desc = SYS_UNITS[int(7 ** rnd()) - 1]
        u, uid = SYS_USERS[int(9 ** rnd()) - 1]
        return {"unit": unit, "desc": desc, "user": u, "uid": uid, "sid": 1 + int(rnd() * 9000),
                "n": 1 + bits(3), "dns": "10.0.0.2"}

    # (weight, facility, severity, app, pid kind, msgid, host table, var fn, format)
    T = []

    def add(w, fac, sev, app, pid, msgid, hosts, vf, fmt):
        T.append(((fac * 8 + sev, app, pid, msgid, hosts, vf, fmt), w))

    ssh = lambda w, sev, msgid, fmt: add(w, 4, sev, "sshd", "conn", msgid, hosts_ssh, v_common, fmt)
    ssh(40, 6, "LOGIN", "Accepted publickey for %(user)s from %(ip)s port %(port)d ssh2: ED25519 SHA256:%(fp)s")
    ssh(6, 6, "LOGIN", "Accepted password for %(user)s from %(ip)s port %(port)d ssh2")
    ssh(45, 6, "-", "pam_unix(sshd:session): session opened for user %(user)s(uid=%(uid)d) by (uid=0)")
    ssh(40, 6, "-", "pam_unix(sshd:session): session closed for user %(user)s")
    ssh(30, 6, "-", "Received disconnect from %(ip)s port %(port)d:11: disconnected by user")
    ssh(30, 6, "LOGOUT", "Disconnected from user %(user)s %(ip)s port %(port)d")
    ssh(60, 6, "AUTHFAIL", "Failed password for invalid user %(bad)s from %(xip)s port %(port)d ssh2")
    ssh(25, 6, "AUTHFAIL", "Failed password for root from %(xip)s port %(port)d ssh2")
    ssh(60, 6, "-", "Invalid user %(bad)s from %(xip)s port %(port)d")
    ssh(50, 6, "-", "Connection closed by invalid user %(bad)s %(xip)s port %(port)d [preauth]")
    ssh(20, 6, "-", "Connection closed by authenticating user root %(xip)s port %(port)d [preauth]")
    ssh(8, 3, "-", "error: maximum authentication attempts exceeded for root from %(xip)s "
                   "port %(port)d ssh2 [preauth]")
    ssh(10, 6, "-", "Timeout before authentication for %(xip)s port %(port)d")
    ssh(6, 3, "-", "error: kex_exchange_identification: Connection closed by remote host")
    add(0.5, 4, 6, "sshd", "stable", "-", hosts_all, v_common, "Server listening on 0.0.0.0 port 22.")

    cron = lambda w, fac, sev, fmt: add(w, fac, sev, "CRON", "conn", "-", hosts_all, v_cron, fmt)
    cron(60, 9, 6, "(%(cu)s) CMD (%(cmd)s)")
    cron(50, 10, 6, "pam_unix(cron:session): session opened for user %(cu)s(uid=%(cuid)d) by (uid=0)")
    cron(50, 10, 6, "pam_unix(cron:session): session closed for user %(cu)s")
    cron(5, 9, 6, "(CRON) info (No MTA installed, discarding output)")

    kern = lambda w, sev, fmt: add(w, 0, sev, "kernel", "none", "-", hosts_all, v_kernel, "[%(up)s] " + fmt)
    kern(60, 4, "[UFW BLOCK] IN=eth0 OUT= MAC=%(mac)s SRC=%(xip)s DST=%(ip)s LEN=40 TOS=0x00 "
                "PREC=0x00 TTL=%(ttl)d ID=%(id)d PROTO=TCP SPT=%(sport)d DPT=%(dport)d WINDOW=1024 "
                "RES=0x00 SYN URGP=0")
    kern(8, 4, "TCP: request_sock_TCP: Possible SYN flooding on port %(port)d. Sending cookies.  "
               "Check SNMP counters.")
    kern(3, 3, "Out of memory: Killed process %(pid)d (%(proc)s) total-vm:%(vm)dkB, anon-rss:%(rss)dkB, "
               "file-rss:0kB, shmem-rss:0kB, UID:%(uid)d pgtables:%(pt)dkB oom_score_adj:0")
    kern(6, 4, "nf_conntrack: nf_conntrack: table full, dropping packet")
    kern(2, 6, "EXT4-fs (nvme1n1): mounted filesystem with ordered data mode. Quota mode: none.")
    kern(10, 5, 'audit: type=1400 audit(%(at)s:%(serial)d): apparmor="DENIED" operation="open" '
                'profile="/usr/sbin/chronyd" name="/etc/ssl/openssl.cnf" pid=%(pid)d comm="chronyd" '
                'requested_mask="r" denied_mask="r" fsuid=0 ouid=0')
    kern(1, 3, "blk_update_request: I/O error, dev nvme0n1, sector %(sec)d op 0x0:(READ) flags 0x80700 "
               "phys_seg 1 prio class 0")
    kern(2, 6, "perf: interrupt took too long (%(a)d > %(b)d), lowering kernel.perf_event_max_sample_rate "
               "to %(rate)d")
    kern(12, 6, "device veth%(veth)s entered promiscuous mode")
    kern(12, 6, "docker0: port %(br)d(veth%(veth)s) entered forwarding state")

    sd = lambda w, sev, fmt, app="systemd", pid="one": add(w, 3, sev, app, pid, "-", hosts_all, v_systemd, fmt)
    sd(40, 6, "Started Session %(sid)d of User %(user)s.")
    sd(40, 6, "session-%(sid)d.scope: Deactivated successfully.")
    sd(30, 6, "New session %(sid)d of user %(user)s.", "systemd-logind", "stable")
    sd(30, 6, "Removed session %(sid)d.", "systemd-logind", "stable")
    sd(6, 6, "Starting Daily apt download activities...")
    sd(6, 6, "apt-daily.service: Deactivated successfully.")
    sd(6, 6, "Finished Daily apt download activities.")
    sd(8, 6, "Starting Rotate log files...")
    sd(8, 6, "logrotate.service: Deactivated successfully.")
    sd(8, 6, "Finished Rotate log files.")
    sd(4, 3, "%(unit)s: Main process exited, code=exited, status=1/FAILURE")
    sd(4, 4, "%(unit)s: Failed with result 'exit-code'.")
    sd(4, 6, "%(unit)s: Scheduled restart job, restart counter is at %(n)d.")
    sd(6, 6, "Started %(desc)s.")
    sd(3, 6, "Stopping %(desc)s...")
    sd(3, 6, "Stopped %(desc)s.")
    sd(2, 6, "Reloading.")
    sd(3, 6, "Created slice User Slice of UID %(uid)d.")
    sd(5, 6, "Using degraded feature set UDP instead of UDP+EDNS0 for DNS server %(dns)s.",
       "systemd-resolved", "stable")
    sd(2, 6, "Initial synchronization to time server 169.254.169.123:123 (169.254.169.123).",
       "systemd-timesyncd", "stable")

    mail = lambda w, sev, app, fmt, pid="conn": add(w, 2, sev, app, pid, "-", hosts_mail, v_mail, fmt)
    mail(20, 6, "postfix/smtpd", "connect from %(rdns)s[%(xip)s]")
    mail(14, 6, "postfix/smtpd", "%(qid)s: client=%(rdns)s[%(xip)s]")
    mail(20, 6, "postfix/cleanup", "%(qid)s: message-id=<%(uuid)s@shop.example.com>")
    mail(20, 6, "postfix/qmgr", "%(qid)s: from=<%(from)s>, size=%(size)d, nrcpt=1 (queue active)", "stable")
    mail(17, 6, "postfix/smtp", "%(qid)s: to=<%(to)s>, relay=%(mx)s[%(rip)s]:25, delay=%(delay)s, "
                                "delays=%(d1)s/%(d2)s/%(d3)s/%(d4)s, dsn=2.0.0, status=sent "
                                "(250 2.0.0 OK  %(n)d %(tok)s - gsmtp)")
    mail(3, 6, "postfix/smtp", "%(qid)s: to=<%(to)s>, relay=none, delay=%(delay)s, "
                               "delays=%(d1)s/%(d2)s/%(d3)s/%(d4)s, dsn=4.4.1, status=deferred "
                               "(connect to %(mx)s[%(rip)s]:25: Connection timed out)")
    mail(2, 6, "postfix/smtp", "%(qid)s: to=<%(to)s>, relay=%(mx)s[%(rip)s]:25, delay=%(delay)s, "
                               "delays=%(d1)s/%(d2)s/%(d3)s/%(d4)s, dsn=5.1.1, status=bounced (host "
                               "%(mx)s[%(rip)s] said: 550 5.1.1 <%(to)s>: Recipient address rejected: "
                               "User unknown in virtual mailbox table (in reply to RCPT TO command))")
    mail(18, 6, "postfix/qmgr", "%(qid)s: removed", "stable")
    mail(20, 6, "postfix/smtpd", "disconnect from %(rdns)s[%(xip)s] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5")
    mail(5, 4, "postfix/smtpd", "warning: hostname %(rdns)s does not resolve to address %(xip)s: "
                                "Name or service not known")
    mail(6, 6, "postfix/smtpd", "NOQUEUE: reject: RCPT from unknown[%(xip)s]: 554 5.7.1 <%(to)s>: "
                                "Relay access denied; from=<spam@%(helo)s.example> to=<%(to)s> "
                                "proto=ESMTP helo=<%(helo)s>")

    sudo = lambda w, sev, fmt, msgid="-": add(w, 10, sev, "sudo", "conn", msgid, hosts_sudo, v_common, fmt)
    sudo(40, 5, "%(user)s : TTY=pts/%(tty)d ; PWD=/home/%(user)s ; USER=root ; COMMAND=%(cmd)s", "COMMAND")
    sudo(40, 6, "pam_unix(sudo:session): session opened for user root(uid=0) by %(user)s(uid=%(uid)d)")
    sudo(38, 6, "pam_unix(sudo:session): session closed for user root")
    sudo(2, 1, "%(user)s : 3 incorrect password attempts ; TTY=pts/%(tty)d ; PWD=/home/%(user)s ; "
               "USER=root ; COMMAND=%(cmd)s")
    sudo(1, 1, "%(bad)s : user NOT in sudoers ; TTY=pts/%(tty)d ; PWD=/home/%(bad)s ; USER=root ; "
               "COMMAND=/bin/bash")

    # daemon mix: sshd 25%, cron 12%, kernel 12%, systemd 28%, postfix 15%, sudo 8%
    mix = {"sshd": 25, "CRON": 12, "kernel": 12, "systemd": 28, "postfix": 15, "sudo": 8}

    def daemon(app):
        return "postfix" if app.startswith("postfix") else "systemd" if app.startswith("systemd") else app

    totals = {}
    for (spec, w) in T:
        totals[daemon(spec[1])] = totals.get(daemon(spec[1]), 0) + w
    pairs = [(spec, w / totals[daemon(spec[1])] * mix[daemon(spec[1])]) for spec, w in T]
    cum, acc = [], 0.0
    for _, w in pairs:
        acc += w
        cum.append(acc)
    specs = [p[0] for p in pairs]

    sd_pool = table([("-", 930), ('[timeQuality tzKnown="1" isSynced="1" syncAccuracy="%d"]', 50),
                     ('[meta sequenceId="%d"]', 20)], 1000)
    lam = rate / 1e6
    t = float(start_us)
    prefixes = {}
    seq = 0
    done = 0
    while done < count:
        picks = rng.choices(specs, cum_weights=cum, k=BLOCK)
        n = min(BLOCK, count - done)
        out = []
        append = out.append
        for i in range(n):
            pri, app, pidk, msgid, hosts, vf, fmt = picks[i]
            t += expo(lam)
            ts = int(t)
            sec, us = divmod(ts, 1000000)
            pre = prefixes.get(sec)
            if pre is None:
                if len(prefixes) > 8:
                    prefixes.clear()
                d = civil(sec)
                pre = prefixes[sec] = "%04d-%02d-%02dT%02d:%02d:%02d." % (
                    d.year, d.month, d.day, d.hour, d.minute, d.second)
            host = hosts[int(rnd() * len(hosts))]
            if pidk == "conn":
                pid = str(1000 + int(rnd() * 400000))
            elif pidk == "stable":
                pid = str(stable_pid.get((host, app), 1))
            elif pidk == "one":
                pid = "1"
            else:
                pid = "-"
            msg = fmt % vf(host, ts) if "%" in fmt else fmt
            seq += 1
            sdv = sd_pool[int(rnd() * len(sd_pool))]
            if sdv != "-":
                sdv = sdv % (seq if "sequenceId" in sdv else 1000 + bits(16))
            append(f"<{pri}>1 {pre}{us:06d}Z {host} {app} {pid} {msgid} {sdv} {msg}")
        sink.write(out)
        done += n


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Seeded, deterministic generator of realistic log data (app NDJSON, "
                    "nginx combined, RFC 5424 syslog). Same arguments => byte-identical output.")
    ap.add_argument("--kind", required=True, choices=("app", "nginx", "syslog"),
                    help="log format to generate")
    ap.add_argument("--count", required=True, type=int, help="number of lines to write")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    ap.add_argument("--start", type=parse_start, default="2026-11-29T00:00:00Z",
                    help="timestamp of the first line, RFC 3339 (default: 2026-11-29T00:00:00Z)")
    ap.add_argument("--rate", type=float, default=None,
                    help="mean lines per second of simulated time "
                         "(default: app 2000, nginx 1000, syslog 200)")
    ap.add_argument("--out", default=None, help="output file (default: stdout)")
    args = ap.parse_args(argv)
    if args.count < 0:
        ap.error("--count must be >= 0")
    rate = DEFAULT_RATE[args.kind] if args.rate is None else args.rate
    if not rate > 0 or math.isinf(rate):
        ap.error("--rate must be a positive number")

    rng = random.Random(args.seed)
    sink = Sink(args.out)
    gen = {"app": gen_app, "nginx": gen_nginx, "syslog": gen_syslog}[args.kind]
    try:
        gen(rng, args.count, args.start, rate, sink)
        sink.close()
    except BrokenPipeError:
        # downstream closed early (e.g. `| head`): exit quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())

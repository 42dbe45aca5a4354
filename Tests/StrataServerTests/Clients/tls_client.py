#!/usr/bin/env python3
"""A TLS client for the Strata TLS tests, using Python's ssl module (OpenSSL).

  tls_client.py CA [--cert PEM --key PEM] post URL FILE      POST FILE as NDJSON; prints "STATUS n" and the body
  tls_client.py CA [--cert PEM --key PEM] get URL            prints "STATUS n" and the body
  tls_client.py CA [--cert PEM --key PEM] syslog HOST PORT TAG COUNT
        sends COUNT RFC 5424 messages "tls message i" with app-name TAG, octet-counted (RFC 5425),
        then closes the TLS session cleanly; prints "SENT COUNT"

The server certificate is verified against CA (hostname 127.0.0.1 via its IP SAN). A refused
handshake or a connection the server drops prints "REFUSED <reason>" and exits 2.
"""
import http.client
import socket
import ssl
import sys
import urllib.parse


def context(ca, cert, key):
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


def refused(reason):
    print("REFUSED", reason)
    sys.exit(2)


def main(argv):
    ca, rest = argv[0], argv[1:]
    cert = key = None
    while rest and rest[0].startswith("--"):
        if rest[0] == "--cert":
            cert, rest = rest[1], rest[2:]
        elif rest[0] == "--key":
            key, rest = rest[1], rest[2:]
        else:
            raise SystemExit("unknown option " + rest[0])
    ctx = context(ca, cert, key)
    mode = rest[0]
    try:
        if mode in ("post", "get"):
            url = urllib.parse.urlsplit(rest[1])
            conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx, timeout=30)
            path = url.path + ("?" + url.query if url.query else "")
            if mode == "post":
                with open(rest[2], "rb") as f:
                    body = f.read()
                conn.request("POST", path, body=body, headers={"Content-Type": "application/x-ndjson"})
            else:
                conn.request("GET", path)
            resp = conn.getresponse()
            print("STATUS", resp.status)
            sys.stdout.write(resp.read().decode())
            conn.close()
        elif mode == "syslog":
            host, port, tag, count = rest[1], int(rest[2]), rest[3], int(rest[4])
            with socket.create_connection((host, port), timeout=30) as raw:
                with ctx.wrap_socket(raw, server_hostname=host) as s:
                    frames = []
                    for i in range(count):
                        msg = "<134>1 2026-11-29T10:00:00.000Z tlshost %s 42 - - tls message %d" % (tag, i)
                        data = msg.encode()
                        frames.append(b"%d " % len(data) + data)
                    s.sendall(b"".join(frames))
                    s.unwrap()
            print("SENT", count)
        else:
            raise SystemExit("unknown mode " + mode)
    except (ssl.SSLError, ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected) as e:
        refused(type(e).__name__ + ": " + str(e))


if __name__ == "__main__":
    main(sys.argv[1:])

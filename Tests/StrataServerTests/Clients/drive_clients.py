"""Drives real protocol clients (installed by tools/install-test-clients.sh) against a running
`strata serve` on 127.0.0.1:PORT, N records each, and prints a JSON summary of what each client
reported. Any client error (an exception, a refused response) exits non-zero with the reason.

Usage: drive_clients.py PORT N [FORWARD_PORT]
"""
import json
import logging
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
base = f"http://127.0.0.1:{port}"
summary = {}

# Elasticsearch: the official client; helpers.bulk sends PUT /_bulk and checks the product header.
from elasticsearch import Elasticsearch, helpers

es = Elasticsearch(base, request_timeout=10)
summary["es_version"] = es.info()["version"]["number"]
docs = ({"_index": "logs-es", "_source": {"@timestamp": f"2026-11-29T10:00:{i % 60:02d}.000Z", "message": f"es bulk doc {i}",
                                         "log": {"level": "warn"}, "host": {"name": "es-host"}, "seq": i}} for i in range(n))
ok, errors = helpers.bulk(es, docs, chunk_size=max(1, n // 3))
summary["es_ok"] = ok
summary["es_errors"] = errors

# Loki: python-logging-loki, one synchronous push per record, 204 required.
import logging_loki

h = logging_loki.LokiHandler(url=f"{base}/loki/api/v1/push", tags={"application": "loki-py"}, version="1")
lg = logging.getLogger("loki-py")
lg.propagate = False
lg.addHandler(h)
for i in range(n):
    lg.error("loki push line %d", i)
summary["loki_sent"] = n

# Loki: loki-logger-handler, gzip-compressed batches with extra stream keys.
from loki_logger_handler.loki_logger_handler import LokiLoggerHandler

h2 = LokiLoggerHandler(url=f"{base}/loki/api/v1/push", labels={"application": "loki-handler"}, timeout=60, compressed=True,
                       enable_self_errors=True)
lg2 = logging.getLogger("loki-handler")
lg2.propagate = False
lg2.addHandler(h2)
for i in range(n):
    lg2.warning("loki handler line %d", i)
h2._send()   # what its atexit hook does: send the buffer now
summary["loki_handler_sent"] = n

# OTLP/HTTP: the OpenTelemetry SDK with the protobuf exporter (gzip) and the JSON exporter.
from opentelemetry._logs import set_logger_provider
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter as ProtoExporter
from opentelemetry.exporter.otlp.json.http._log_exporter import OTLPLogExporter as JSONExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource


class Failing(Exception):
    pass


def otlp(name, exporter):
    provider = LoggerProvider(resource=Resource.create({"service.name": name, "host.name": "otel-host"}))
    results = []

    class Checking(SimpleLogRecordProcessor):
        def on_emit(self, log_data):
            r = self._exporter.export((log_data,))
            results.append(r.name)

    provider.add_log_record_processor(Checking(exporter))
    handler = LoggingHandler(level=logging.DEBUG, logger_provider=provider)
    lg3 = logging.getLogger(name)
    lg3.propagate = False
    lg3.setLevel(logging.DEBUG)
    lg3.addHandler(handler)
    for i in range(n):
        lg3.info("otlp %s record %d", name, i, extra={"order.id": f"O-{i}"})
    provider.shutdown()
    if any(r != "SUCCESS" for r in results):
        raise Failing(f"{name}: exporter results {results}")
    return len(results)


# Fluentd forward: fluent-logger (Message mode), integer time and EventTime.
if len(sys.argv) > 3:
    from fluent import sender

    fport = int(sys.argv[3])
    for nano in (False, True):
        fs = sender.FluentSender("app.fluent", host="127.0.0.1", port=fport, nanosecond_precision=nano)
        for i in range(n):
            if not fs.emit("demo", {"message": f"fluent record {i}", "level": "warning", "nano": nano, "nested": {"k": [1, 2.5, None, True]}}):
                raise Failing(f"fluent-logger: {fs.last_error}")
        fs.close()
    summary["fluent_sent"] = 2 * n

summary["otlp_proto_ok"] = otlp("otel-proto", ProtoExporter(endpoint=f"{base}/v1/logs", compression=Compression.Gzip))
summary["otlp_json_ok"] = otlp("otel-json", JSONExporter(endpoint=f"{base}/v1/logs"))
print(json.dumps(summary))

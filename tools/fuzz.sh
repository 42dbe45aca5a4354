#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ with AddressSanitizer and runs each for FUZZ_SECONDS.
# Seeds: format-spec/vectors, corpus lines, queries. Crashes land in Fuzz/artifacts/ and fail the run.
# Usage: tools/fuzz.sh [SECONDS=20] [TARGET...]
set -euo pipefail
SECONDS_EACH=${1:-20}
shift || true
cd "$(dirname "$0")/../Fuzz"
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(FuzzSegment FuzzSegmentChecksummed FuzzWAL FuzzColumns FuzzMessage FuzzManifest FuzzEntryBatch FuzzLineParser FuzzQueryParser FuzzRoaring FuzzTermDictionary FuzzBatchBody FuzzElasticBulk FuzzLokiPush FuzzOTLPLogs FuzzSyslog FuzzForward FuzzAccessLog FuzzGrok FuzzCSV FuzzTimestamp FuzzGeoIP FuzzUserAgent FuzzMultiline FuzzPipelineConfig FuzzLZ4Frame FuzzAgentBuffer FuzzContainerLogs FuzzTextEncoding FuzzAgentConfig)
swift build -c debug --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address 2>&1 | grep -E "error|warning: unre|Compiling|Build" | tail -3
V=../format-spec/vectors
CORPUS=${STRATA_CORPUS:-../../shared/corpus}
mkdir -p artifacts
for t in "${TARGETS[@]}"; do
    work=corpus-work/$t
    mkdir -p "$work"
    case $t in
        FuzzSegment|FuzzSegmentChecksummed)
            cp $V/segment/*.seg "$work/"
            for f in $V/v3/segment/*.seg; do cp "$f" "$work/v3-$(basename "$f")"; done ;;
        FuzzWAL) cp $V/wal/*.wal "$work/" ;;
        FuzzManifest) cp $V/manifest/MANIFEST "$work/" ;;
        FuzzColumns)
            for f in $V/column-encodings/*.bin; do printf '\x00\x04' | cat - "$f" > "$work/$(basename "$f")"; done
            printf '\x03\x04\x01' > "$work/bloom"; head -c 32 /dev/zero >> "$work/bloom" ;;
        FuzzMessage) printf 'user 42 logged in from 10.0.0.1 in 12.5ms' > "$work/m1"; printf 'blk_-1608999687919862906 081109 GET /api' > "$work/m2" ;;
        FuzzEntryBatch) tail -c +57 $V/wal/*.wal > "$work/b1" ;;
        FuzzLineParser)
            printf '{"ts":"2026-11-29T00:00:00Z","level":"warn","msg":"x \\u00e9","a":{"b":[1,2]},"tags":["t"]}' > "$work/j"
            printf 'ts=1 level=info msg="hello world" n=5 f=1.5 ok=true' > "$work/l"
            if [ -d "$CORPUS/loghub" ]; then for f in "$CORPUS"/loghub/*/*_2k.log; do head -c 400 "$f" | head -1 > "$work/$(basename "$f")"; done; fi ;;
        FuzzTermDictionary) printf '\x01\x01\x01a\x00\x00\x04\x00\x01a\x12\x3a\x30\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00' > "$work/t1" ;;
        FuzzBatchBody)
            printf '\x00{"message":"a","level":"warn"}\n[1]\n{"timestamp":"2026-11-29T00:00:00Z","msg":"b"}' > "$work/n"
            printf '\x00[{"message":"x ] , {","a":{"b":[1,{"c":"}"}]}}, 7 ,{"message":"z"}]' > "$work/a"
            printf '{"message":"gz"}\n' | gzip -c | { printf '\x01'; cat; } > "$work/g"
            printf '{"message":"zs"}\n' | zstd -c -q | { printf '\x03'; cat; } > "$work/z" ;;
        FuzzElasticBulk)
            printf '{"index":{"_index":"a","_id":"1"}}\n{"@timestamp":"2026-11-29T00:00:00Z","message":"m","log":{"level":"warn"}}\n{"delete":{"_id":"2"}}\n{"update":{}}\n{"doc":{}}\n' > "$work/b" ;;
        FuzzLokiPush)
            # protobuf: selector byte, snappy literal block of PushRequest{streams{labels, entries{ts, line}}}
            printf '\x00\x1d\x70\x0a\x1b\x0a\x0b{job=\"a\"}\x12\x0c\x0a\x06\x08\x80\x94\xa3\xd6\x06\x12\x02hi' > "$work/pb"
            printf '{"streams":[{"stream":{"app":"x","level":"error"},"values":[["1795910400000000001","line"],["1795910400000000002","{\\"message\\":\\"j\\",\\"level\\":\\"WARNING\\"}",{"trace_id":"t"}]]}]}' > "$work/l" ;;
        FuzzOTLPLogs)
            printf '\x01{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeLogs":[{"scope":{"name":"n"},"logRecords":[{"timeUnixNano":"1795910400000000000","severityNumber":9,"body":{"kvlistValue":{"values":[{"key":"a","value":{"arrayValue":{"values":[{"intValue":"1"}]}}}]}},"traceId":"5b8efff798038103d269b633813fc60c"}]}]}]}' > "$work/j"
            printf '\x00\x0a\x1a\x12\x18\x12\x16\x09\x00\x00\x00\x00\x00\x00\x00\x01\x10\x09\x2a\x04\x0a\x02\x68\x69\x4a\x02\xab\xcd' > "$work/p" ;;
        FuzzSyslog)
            printf '\x10<165>1 2003-10-11T22:14:15.003Z host app - ID47 [ex@32473 iut="3" src="A\\"x\\]"] msg\n' > "$work/a"
            printf '\x05%s' "64 <133>Nov 29 02:15:48 vm demoapp: message 1 of 3: caf\xc3\xa9 key=value" > "$work/b"
            printf '\x00<30>Nov  9 08:01:02 web-1 sshd[4242]: Accepted\r\n<13>x\n' > "$work/c" ;;
        FuzzForward)
            printf '\x07\x93\xa8app.demo\xce\x6b\x0b\x8a\xec\x83\xa7message\xa5hello\xa5level\xa4info\xa3seq\x01' > "$work/m"
            printf '\x03\x93\xa2fw\x91\x92\xd7\x00\x6b\x0b\x8a\xec\x03\x6b\x46\x38\x81\xa3log\xa1x\x81\xa5chunk\xa3c-1' > "$work/f" ;;
        FuzzAccessLog)
            printf '\x00  203.0.113.9 - alice [29/Nov/2026:10:00:00 +0100] "POST /a?b=1 HTTP/2.0" 503 1234 "https://ex.com/" "curl/8.5.0"' > "$work/n"
            printf '\x01  10.0.0.1 - - [29/Nov/2026:10:00:00 +0000] "GET /q?x=\\"y\\" HTTP/1.1" 200 - "-" "A \\"q\\" v1"' > "$work/a"
            printf '\x03  $time_iso8601 $remote_addr "$request" $status $request_time ${http_x_id}\n2026-11-29T10:00:00+00:00 10.1.1.1 "GET / HTTP/1.1" 200 0.004 abc' > "$work/c"
            printf '\x04  %%v:%%p %%a %%t "%%r" %%>s %%B %%D "%%{X-Id}i"\nshop:443 192.0.2.1 [29/Nov/2026:10:00:00 -0500] "GET / HTTP/1.1" 302 0 15 "x"' > "$work/d"
            printf '\x05  2026/11/29 10:00:00 [error] 12#34: *99 open() failed, client: 1.2.3.4, server: s, request: "GET / HTTP/1.1", host: "h"' > "$work/e"
            printf '\x06  [Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 43] [client 72.15.99.187:51234] File does not exist' > "$work/f"
            printf '\x07,:level: warn, msg: "disk, full", n: 3' > "$work/k"
            if [ -f "$CORPUS/web/apache_logs" ]; then head -c 300 "$CORPUS/web/apache_logs" | head -1 | { printf '\x01  '; cat; } > "$work/corpus"; fi ;;
        FuzzGrok)
            printf '%%{IP:client} %%{WORD:method} %%{URIPATHPARAM:path} %%{NUMBER:bytes:int} %%{FUZZ:x}\n[a-z]+\n55.3.244.1 GET /index.html 15824 abc' > "$work/g"
            printf '%%{SYSLOGLINE}\n%%{FUZZ}\nNov 29 10:00:01 web-1 sshd[42]: Accepted publickey' > "$work/s"
            printf '(?<queue_id>[0-9A-F]{10,11}) %%{COMBINEDAPACHELOG}\n.?*\nx' > "$work/r" ;;
        FuzzCSV)
            printf '\x08a,b,"c ""q"" d"\r\n1,2,"multi\nline"\n3,,x\n' > "$work/c"
            if [ -d "$CORPUS/loghub" ]; then head -c 600 "$CORPUS/loghub/Hadoop/Hadoop_2k.log_structured.csv" | { printf '\x08'; cat; } > "$work/loghub"; fi ;;
        FuzzTimestamp)
            printf '%%d/%%b/%%Y:%%H:%%M:%%S %%z\n29/Nov/2026:10:00:00 +0530' > "$work/a"
            printf '%%a %%b %%e %%H:%%M:%%S.%%f %%Y\nSun Nov 29 10:00:00.123456 2026' > "$work/b"
            printf '%%s\n1795946400.5' > "$work/c" ;;
        FuzzGeoIP)
            # A real (tiny) MaxMind DB built by the test suite's writer, when the tests left one.
            [ -f ../Tests/StrataPipelineTests/Fixtures/sample.mmdb ] && cp ../Tests/StrataPipelineTests/Fixtures/sample.mmdb "$work/" ;;
        FuzzUserAgent)
            printf 'browser Firefox Firefox/\nos Linux Linux\ndevice desktop *\n\0Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0' > "$work/u" ;;
        FuzzMultiline)
            printf '\x20Exception in thread main\n  at a.b(C.java:1)\n\tat d\nnext\n  more' > "$work/m" ;;
        FuzzAgentBuffer) cp $V/agent-buffer/* "$work/" ;;
        FuzzAgentConfig)
            printf 'inputs:\n  - type: file\n    paths: ["/var/log/*.log"]\n    multiline: {pattern: "^x", negate: true}\noutput:\n  hosts: ["a:1"]\n' > "$work/yaml"
            printf '# strata-agent checkpoints v1: device inode offset fingerprint fingerprint_bytes path\n1 2 3 ff 4 /p\n' > "$work/cp"
            printf 'POST /api/logs HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n' > "$work/http" ;;
        FuzzContainerLogs)
            A=../Tests/StrataAgentTests/Fixtures
            for f in $A/docker/*/*-json.log $A/pods/*/*/*.log; do head -3 "$f" > "$work/$(basename "$(dirname "$f")")-$(basename "$f")"; done
            for f in $A/docker/*/config.v2.json; do cp "$f" "$work/config-$(basename "$(dirname "$f")").json"; done ;;
        FuzzTextEncoding)
            printf '\xff\xfeh\x00i\x00\n\x00' > "$work/le"; printf '\xfe\xff\x00h\x00\n' > "$work/be"; printf 'caf\xe9\r\n\xc3\x28\n' > "$work/bytes" ;;
        FuzzPipelineConfig)
            printf 'outputs:\n  - {name: e, type: stream}\npipelines:\n  - name: n\n    filter: "service:web"\n    parser: nginx\n    processors:\n      - mask: {patterns: [email]}\n      - rename: {fields: {client_ip: ip}}\n    routes:\n      - {level: error, outputs: [store, e]}\n  - name: a\n    parser: {type: kv}\n    processors: [{sample: {one_in: 2}}, {dedup: {fields: [message]}}, {aggregate: {group_by: [level]}}]\n' > "$work/p" ;;
        FuzzLZ4Frame)
            # First byte: limit 1 << (b % 21). Frames from the real lz4 tool: default, linked
            # 64 KiB blocks with block checksums and content size, two concatenated, skippable.
            printf 'line 1\nline 2 level=info\n' | lz4 -c -q | { printf '\x14'; cat; } > "$work/f"
            printf 'a\n' | lz4 -c -q -BD -BX --content-size | { printf '\x0a'; cat; } > "$work/g"
            head -c 70000 /dev/zero | lz4 -c -q -B4 -BD | { printf '\x13'; cat; } > "$work/z"
            { printf 'x\n' | lz4 -c -q; printf 'y\n' | lz4 -c -q --no-frame-crc; } | { printf '\x14'; cat; } > "$work/two"
            printf '\x14\x50\x2a\x4d\x18\x02\x00\x00\x00hi' > "$work/skip" ;;
        FuzzRoaring) printf '\x3a\x30\x00\x00\x01\x00\x00\x00\x00\x00\x02\x00\x10\x00\x00\x00\x01\x00\x02\x00\x03\x00' > "$work/r1" ;;
        FuzzQueryParser)
            printf 'level:error (service:api OR host:web-*) -"connection refused" status:500' > "$work/q"
            printf 'message:/time(d)?out/ status:[500 TO 599} duration_ms:>=250 _exists_:user -(a OR b) | stats count(), p99.9(d) as p by service, bucket(5m) | sort p desc | limit 5 | fields p' > "$work/q2" ;;
    esac
    echo "== $t for ${SECONDS_EACH}s"
    SWIFT_BACKTRACE=enable=no ./.build/debug/$t -max_total_time="$SECONDS_EACH" -rss_limit_mb=3072 -timeout=10 -max_len=65536 \
        -artifact_prefix=artifacts/$t- -print_final_stats=1 "$work" 2>&1 | grep -E "stat::number_of_executed_units|ERROR|Fatal|SUMMARY|crash-|Done" || true
    if ls artifacts/$t-* >/dev/null 2>&1; then echo "FUZZ FAILURE in $t: $(ls artifacts/$t-*)"; exit 1; fi
done
echo "fuzz: all targets ran clean"

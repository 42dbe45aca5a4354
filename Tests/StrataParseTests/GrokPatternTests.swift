import Foundation
import Testing
import StrataFormat
import StrataTestSupport
@testable import StrataParse

/// The standard grok library (logstash-patterns-core, loaded from the shared corpus as is).
func standardLibrary(_ flavour: String = "legacy") throws -> GrokLibrary {
    var l = GrokLibrary()
    try l.load(directory: sharedCorpusPath() + "/grok/patterns/" + flavour)
    return l
}

@Suite struct GrokPatternTests {
    func fields(_ p: GrokPattern, _ line: String) -> [String: FieldValue]? {
        var s = line
        return s.withUTF8 { p.match(UnsafeRawBufferPointer($0)) }.map { Dictionary($0.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a }) }
    }

    @Test func builtinsCaptureTypedFields() throws {
        let p = try GrokPattern("%{IP:client} %{WORD:method} %{URIPATHPARAM:path} %{NUMBER:bytes} %{NUMBER:duration:float} %{INT:code:string}", library: .builtin)
        let f = try #require(fields(p, "55.3.244.1 GET /index.html?a=1 15824 0.043 200"))
        #expect(f["client"] == .string("55.3.244.1"))
        #expect(f["method"] == .string("GET"))
        #expect(f["path"] == .string("/index.html?a=1"))
        #expect(f["bytes"] == .int(15824))
        #expect(f["duration"] == .float(0.043))
        #expect(f["code"] == .string("200"))
        #expect(fields(p, "55.3.244.1 GET") == nil)
    }

    @Test func rawNamedGroupsAndECSNamesBecomeFields() throws {
        let p = try GrokPattern(#"(?<queue_id>[0-9A-F]{10,11}) %{WORD:[event][action]}(?<![0-9])"#, library: .builtin)
        let f = try #require(fields(p, "BEF25A72965 sent"))
        #expect(f["queue_id"] == .string("BEF25A72965"))
        #expect(f["event.action"] == .string("sent"))
    }

    @Test func optionalGroupsThatDoNotTakePartAreAbsent() throws {
        let p = try GrokPattern(#"%{WORD:a}(?: %{INT:b})?"#, library: .builtin)
        #expect(fields(p, "x") == ["a": .string("x")])
        #expect(fields(p, "x 5") == ["a": .string("x"), "b": .int(5)])
    }

    @Test func badLibrariesAndPatternsAreClearErrors() throws {
        #expect(throws: GrokError.unknownPattern(name: "NOPE", in: "%{NOPE:x}")) { try GrokPattern("%{NOPE:x}", library: .builtin) }
        #expect(throws: GrokError.tooDeep(name: "A")) { try GrokPattern("%{A}", library: GrokLibrary(definitions: ["A": "x%{B}", "B": "%{A}"])) }
        #expect(throws: GrokError.self) { try GrokPattern("%{WORD:x", library: .builtin) }
        #expect(throws: GrokError.self) { try GrokPattern("(unclosed %{WORD}", library: .builtin) }
        var l = GrokLibrary()
        #expect(throws: GrokError.badDefinition(origin: "t", line: 2, reason: "expected 'NAME regex'")) { try l.add(text: "# c\nLONELY\n", origin: "t") }
    }

    /// Every pattern of the standard library, both flavours, expands and compiles under PCRE2.
    @Test(arguments: ["legacy", "ecs-v1"]) func everyStandardPatternCompiles(flavour: String) throws {
        let library = try standardLibrary(flavour)
        #expect(library.definitions.count > 300)
        var failures: [String] = []
        for name in library.definitions.keys.sorted() {
            do { _ = try GrokPattern("%{\(name)}", library: library) } catch { failures.append("\(name): \(error)") }
        }
        #expect(failures.isEmpty, "\(failures.count) patterns failed: \(failures.prefix(5))")
    }

    /// COMBINEDAPACHELOG of the standard library on the 10,000-line Apache corpus, every capture
    /// against Python's independent expectations.
    @Test func standardCombinedApacheLogOnTheCorpus() throws {
        let path = sharedCorpusPath() + "/web/apache_logs"
        let expected = try pythonJSONLines(fixtures + "/access_log_expectations.py", [path])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let p = try GrokPattern("%{COMBINEDAPACHELOG}", library: try standardLibrary())
        var matched = 0
        for (line, x) in zip(lines, expected) where x["matched"] as? Bool == true {
            let f = try #require(fields(p, line), "no match: \(line)")
            #expect(f["clientip"] == .string(x["client_ip"] as! String))
            #expect(f["timestamp"] == .string(x["timestamp_text"] as! String))
            let request = x["request"] as! String
            let parts = request.split(separator: " ", omittingEmptySubsequences: false)
            if parts.count == 3, parts[2].hasPrefix("HTTP/") {
                #expect(f["verb"] == .string(String(parts[0])))
                #expect(f["request"] == .string(String(parts[1])))
            } else {
                #expect(f["rawrequest"] == .string(request))
            }
            #expect(f["response"] == .int((x["status"] as! NSNumber).int64Value))
            #expect(f["bytes"] == (x["bytes"] as? NSNumber).map { .int($0.int64Value) })
            #expect(f["referrer"] == .string("\"" + ((x["referer"] as? String) ?? "-") + "\""))
            #expect(f["agent"] == .string("\"" + ((x["user_agent"] as? String) ?? "-") + "\""))
            matched += 1
        }
        #expect(matched == 9_999)
    }

    /// Each Loghub system's header fields with the LOGHUB_* patterns (Tests/…/Fixtures/loghub.grok,
    /// built on the standard library): every capture of every line equals the structured CSV's
    /// cell, the CSV read by Python's csv module.
    @Test(arguments: ["Android", "Apache", "BGL", "HDFS", "HPC", "Hadoop", "HealthApp", "Linux", "Mac", "OpenSSH",
                      "OpenStack", "Proxifier", "Spark", "Thunderbird", "Windows", "Zookeeper"])
    func loghubSystemHeadersMatchTheStructuredCSV(system: String) throws {
        var library = try standardLibrary()
        try library.load(file: fixtures + "/loghub.grok")
        let p = try GrokPattern("%{LOGHUB_\(system.uppercased())}", library: library)
        let dir = sharedCorpusPath() + "/loghub/\(system)"
        let rows = try loghubRows(dir + "/\(system)_2k.log_structured.csv")
        let lines = try loghubLines(dir + "/\(system)_2k.log")
        #expect(rows.count == 2000 && lines.count == 2000)
        let columns = Set(rows[0].keys).subtracting(["LineId", "EventId", "EventTemplate"])
        #expect(Set(p.captures.map(\.field)) == columns)
        var mismatches = 0
        for (line, row) in zip(lines, rows) {
            var s = line
            let ok = s.withUTF8 { buf in
                p.forEachCapture(in: UnsafeRawBufferPointer(buf)) { c, v in
                    if String(decoding: v, as: UTF8.self) != row[c.field] { mismatches += 1 }
                }
            }
            #expect(ok, "\(system): no match: \(line)")
            // A capture that did not take part must be an empty cell.
            var present = Set<String>()
            _ = s.withUTF8 { buf in p.forEachCapture(in: UnsafeRawBufferPointer(buf)) { c, _ in present.insert(c.field) } }
            for c in columns.subtracting(present) { #expect(row[c] == "", "\(system): \(c) missing but CSV has '\(row[c] ?? "")'") }
        }
        #expect(mismatches == 0)
    }

    @Test func patternLineParserMapsRolesAndTriesPatternsInOrder() throws {
        let parser = try PatternLineParser(grok: ["%{TIMESTAMP_ISO8601:timestamp} %{LOGLEVEL:level} \\[%{DATA:service}\\] %{GREEDYDATA:message}",
                                                  "%{SYSLOGLINE}"], library: .builtin)
        var a = "2026-11-29 10:00:00,250 WARN [billing] card declined for order 77"
        let e = try a.withUTF8 { try parser.parse(UnsafeRawBufferPointer($0), defaults: ParseDefaults(receivedAtNanos: 0)) }
        #expect(e.timestampNanos == Timestamp.parseRFC3339("2026-11-29T10:00:00.25Z"))
        #expect(e.level == .warn && e.service == "billing" && e.message == "card declined for order 77")
        var b = "Nov 29 10:00:01 web-1 sshd[42]: Accepted publickey for root"
        let f = try b.withUTF8 { try parser.parse(UnsafeRawBufferPointer($0), defaults: ParseDefaults(receivedAtNanos: Timestamp.parseRFC3339("2026-12-01T00:00:00Z")!)) }
        #expect(f.timestampNanos == Timestamp.parseRFC3339("2026-11-29T10:00:01Z"))
        #expect(f.host == "web-1" && f.service == "sshd" && f.field("pid") == .int(42) && f.message == "Accepted publickey for root")
        var c = "neither"
        #expect(throws: ParseError("line matches none of the 2 patterns", at: 0)) {
            try c.withUTF8 { try parser.parse(UnsafeRawBufferPointer($0), defaults: ParseDefaults(receivedAtNanos: 0)) }
        }
    }
}

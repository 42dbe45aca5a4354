import Foundation
import Testing
import StrataFormat
import StrataTestSupport
@testable import StrataParse

/// Runs `python3 script args…` and returns its standard output lines parsed as JSON objects.
func pythonJSONLines(_ script: String, _ args: [String]) throws -> [[String: Any]] {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", script] + args
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    return try String(decoding: data, as: UTF8.self).split(separator: "\n").map {
        try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
    }
}

let fixtures = packageRootPath() + "/Tests/StrataParseTests/Fixtures"

@Suite struct AccessLogFormatTests {
    let defaults = ParseDefaults(receivedAtNanos: 7, service: "web")

    func parse(_ f: AccessLogFormat, _ line: String) -> LogEntry? {
        var s = line
        return s.withUTF8 { f.parse(UnsafeRawBufferPointer($0), defaults: defaults) }
    }

    @Test func combinedLineBecomesTypedFields() throws {
        let e = try #require(parse(.nginxCombined, #"203.0.113.9 - alice [29/Nov/2026:10:00:00 +0100] "POST /api/v1/items?id=3 HTTP/2.0" 503 1234 "https://ex.com/a" "curl/8.5.0""#))
        #expect(e.timestampNanos == Timestamp.parseRFC3339("2026-11-29T09:00:00Z"))
        #expect(e.message == "POST /api/v1/items?id=3 HTTP/2.0")
        #expect(e.level == .error)
        #expect(e.source == "nginx")
        #expect(e.field("client_ip") == .string("203.0.113.9"))
        #expect(e.field("user") == .string("alice"))
        #expect(e.field("method") == .string("POST"))
        #expect(e.field("status") == .int(503))
        #expect(e.field("bytes") == .int(1234))
        #expect(e.field("referer") == .string("https://ex.com/a"))
        #expect(e.field("user_agent") == .string("curl/8.5.0"))
    }

    @Test func dashMeansAbsentAndFourHundredsWarn() throws {
        let e = try #require(parse(.nginxCombined, #"::1 - - [29/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 404 - "-" "-""#))
        #expect(e.field("user") == nil && e.field("bytes") == nil && e.field("referer") == nil && e.field("user_agent") == nil)
        #expect(e.level == .warn)
        #expect(e.field("client_ip") == .string("::1"))
    }

    @Test func apacheEscapedQuoteInsideTheRequestIsKept() throws {
        let e = try #require(parse(.apacheCombined, #"10.0.0.1 - - [29/Nov/2026:10:00:00 +0000] "GET /q?x=\"y\" HTTP/1.1" 200 5 "-" "Agent \"quoted\" v1""#))
        #expect(e.message == #"GET /q?x=\"y\" HTTP/1.1"#)
        #expect(e.field("user_agent") == .string(#"Agent \"quoted\" v1"#))
        #expect(e.source == "apache")
    }

    @Test func customNginxLogFormatWithTimingsAndISOTime() throws {
        let f = try AccessLogFormat(nginx: #"$time_iso8601 $remote_addr "$request" $status $request_time "$upstream_response_time" "${http_x_forwarded_for}""#)
        let e = try #require(parse(f, #"2026-11-29T10:00:00+00:00 10.1.1.1 "GET /health HTTP/1.1" 200 0.004 "0.003, 0.001" "1.2.3.4, 5.6.7.8""#))
        #expect(e.timestampNanos == Timestamp.parseRFC3339("2026-11-29T10:00:00Z"))
        #expect(e.field("request_time") == .float(0.004))
        #expect(e.field("upstream_response_time") == .string("0.003, 0.001"))
        #expect(e.field("http_x_forwarded_for") == .string("1.2.3.4, 5.6.7.8"))
        #expect(e.level == .info)
    }

    @Test func customApacheLogFormatWithDurationAndHeaders() throws {
        let f = try AccessLogFormat(apache: #"%v:%p %a %t "%r" %>s %B %D "%{X-Request-Id}i""#)
        let e = try #require(parse(f, #"shop.example:443 192.0.2.1 [29/Nov/2026:10:00:00 -0500] "GET /cart HTTP/1.1" 302 0 1532 "abc-123""#))
        #expect(e.timestampNanos == Timestamp.parseRFC3339("2026-11-29T15:00:00Z"))
        #expect(e.field("server_name") == .string("shop.example"))
        #expect(e.field("port") == .int(443))
        #expect(e.field("duration_us") == .int(1532))
        #expect(e.field("x_request_id") == .string("abc-123"))
    }

    @Test func malformedLinesAndLayoutsAreRejectedWithReasons() throws {
        #expect(parse(.nginxCombined, "not an access log line") == nil)
        #expect(parse(.nginxCommon, #"1.2.3.4 - - [29/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 12 "x" "y""#) == nil)
        #expect(parse(.nginxCombined, #"1.2.3.4 - - [bad time] "GET / HTTP/1.1" 200 12 "x" "y""#) == nil)
        #expect(throws: ParseError.self) { try AccessLogFormat(nginx: "$a$b") }
        #expect(throws: ParseError.self) { try AccessLogFormat(apache: "%h %Q") }
        #expect(throws: ParseError.self) { try AccessLogFormat(apache: "%{Referer") }
    }

    /// Every line of the 10,000-line Apache combined corpus file, field by field, against
    /// expectations computed independently by Python's `re` and `datetime`; both the nginx and
    /// the Apache combined layouts (they are the same format).
    @Test(arguments: ["nginx", "apache"]) func apacheCorpusMatchesIndependentExpectations(format: String) throws {
        let path = sharedCorpusPath() + "/web/apache_logs"
        let expected = try pythonJSONLines(fixtures + "/access_log_expectations.py", [path])
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 10_000 && expected.count == 10_000)
        let parser = LineParser(format: format == "nginx" ? .nginx : .apache)
        let combined: AccessLogFormat = format == "nginx" ? .nginxCombined : .apacheCombined
        var checked = 0
        for (line, x) in zip(lines, expected) {
            var s = String(line)
            let e = s.withUTF8 { combined.parse(UnsafeRawBufferPointer($0), defaults: defaults) }
            guard x["matched"] as? Bool == true else {
                #expect(e == nil, "line Python rejects was accepted: \(line)")
                #expect(throws: ParseError.self) { try s.withUTF8 { try parser.parse(UnsafeRawBufferPointer($0), defaults: defaults) } }
                continue
            }
            let entry = try #require(e, "rejected: \(line)")
            #expect(entry.field("client_ip") == .string(x["client_ip"] as! String))
            #expect(entry.timestampNanos == (x["timestamp_nanos"] as! NSNumber).int64Value)
            #expect(entry.message == x["request"] as! String)
            #expect(entry.field("method") == (x["method"] as? String).map { .string($0) })
            #expect(entry.field("status") == (x["status"] as? NSNumber).map { .int($0.int64Value) })
            #expect(entry.field("bytes") == (x["bytes"] as? NSNumber).map { .int($0.int64Value) })
            #expect(entry.field("referer") == (x["referer"] as? String).map { .string($0) })
            #expect(entry.field("user_agent") == (x["user_agent"] as? String).map { .string($0) })
            #expect(entry.field("user") == (x["user"] as? String).map { .string($0) })
            let status = (x["status"] as! NSNumber).intValue
            #expect(entry.level == (status >= 500 ? .error : status >= 400 ? .warn : .info))
            checked += 1
        }
        #expect(checked == 9_999)
    }
}

@Suite struct AccessLogEscapeTests {
    /// Apache writes a backslash as `\\`: a quoted field ending in one still ends at its quote.
    @Test func doubledBackslashBeforeAQuoteDoesNotEscapeIt() throws {
        var line = #"1.2.3.4 - - [29/Nov/2026:10:00:00 +0000] "GET /a\\" 200 5 "http://x/\\" "agent""#
        let e = try #require(line.withUTF8 { AccessLogFormat.apacheCombined.parse(UnsafeRawBufferPointer($0), defaults: ParseDefaults(receivedAtNanos: 0)) })
        #expect(e.message == #"GET /a\\"#)
        #expect(e.field("referer") == .string(#"http://x/\\"#) && e.field("user_agent") == .string("agent"))
    }

    @Test func rfc3339FractionAtTheEndOfTimeDoesNotTrap() {
        #expect(Timestamp.parseRFC3339("2262-04-11T23:47:16.9Z") == nil)
    }
}

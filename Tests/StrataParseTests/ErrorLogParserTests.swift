import Foundation
import Testing
import StrataFormat
import StrataTestSupport
@testable import StrataParse

@Suite struct ErrorLogParserTests {
    let defaults = ParseDefaults(receivedAtNanos: 7)

    func parse(_ d: ErrorLogParser.Dialect, _ line: String) throws(ParseError) -> LogEntry {
        var s = line
        let r: Result<LogEntry, ParseError> = s.withUTF8 { p in
            do throws(ParseError) { return .success(try ErrorLogParser(d).parse(UnsafeRawBufferPointer(p), defaults: defaults)) } catch { return .failure(error) }
        }
        return try r.get()
    }

    @Test func nginxErrorLineSplitsContextPairs() throws {
        let e = try parse(.nginx, #"2026/11/29 10:00:00 [error] 1234#5678: *99 open() "/srv/x" failed (2: No such file or directory), client: 203.0.113.5, server: shop, request: "GET /x HTTP/1.1", host: "shop.example""#)
        #expect(e.timestampNanos == Timestamp.parseRFC3339("2026-11-29T10:00:00Z"))
        #expect(e.level == .error)
        #expect(e.message == #"open() "/srv/x" failed (2: No such file or directory)"#)
        #expect(e.field("pid") == .int(1234) && e.field("tid") == .int(5678) && e.field("connection") == .int(99))
        #expect(e.field("client_ip") == .string("203.0.113.5"))
        #expect(e.field("server") == .string("shop"))
        #expect(e.field("request") == .string("GET /x HTTP/1.1"))
        #expect(e.field("http_host") == .string("shop.example"))
        #expect(e.source == "nginx")
    }

    @Test func nginxNoticeWithoutConnection() throws {
        let e = try parse(.nginx, "2026/11/29 10:00:00 [notice] 1#1: signal process started")
        #expect(e.level == .info && e.message == "signal process started")
    }

    @Test func apache24LineWithModulePidAndClient() throws {
        let e = try parse(.apache, "[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:51234] File does not exist: /usr/local/apache2/htdocs/favicon.ico")
        #expect(e.timestampNanos == Timestamp.parseRFC3339("2011-09-09T10:42:29.902022Z"))
        #expect(e.level == .error)
        #expect(e.field("module") == .string("core"))
        #expect(e.field("pid") == .int(35708) && e.field("tid") == .int(4328636416))
        #expect(e.field("client_ip") == .string("72.15.99.187") && e.field("client_port") == .int(51234))
        #expect(e.message == "File does not exist: /usr/local/apache2/htdocs/favicon.ico")
    }

    @Test func brokenLinesSayWhatIsMissing() {
        #expect(throws: ParseError("expected 'yyyy/mm/dd hh:mm:ss' at the start", at: 0)) { try parse(.nginx, "garbage") }
        #expect(throws: ParseError("expected ' [level]' after the time", at: 19)) { try parse(.nginx, "2026/11/29 10:00:00 error") }
        #expect(throws: ParseError("expected '[time]' at the start", at: 0)) { try parse(.apache, "no bracket") }
        #expect(throws: ParseError.self) { try parse(.apache, "[not a time] [error] x") }
    }

    /// Loghub's Apache error log: every line's time, level and content equal the structured
    /// CSV's columns (parsed by Python's csv module).
    @Test func loghubApacheErrorLogMatchesTheStructuredCSV() throws {
        let dir = sharedCorpusPath() + "/loghub/Apache"
        let rows = try loghubRows(dir + "/Apache_2k.log_structured.csv")
        let lines = try loghubLines(dir + "/Apache_2k.log")
        #expect(rows.count == 2000 && lines.count == 2000)
        let timeLayout = try TimestampFormat("%a %b %d %H:%M:%S %Y")
        for (line, row) in zip(lines, rows) {
            let e = try parse(.apache, line)
            let t = try #require(Array(row["Time"]!.utf8).withUnsafeBytes { timeLayout.parse($0) })
            #expect(e.timestampNanos == t)
            // Loghub keeps `[client IP] ` in the content; Strata moves it to the client_ip field.
            var content = row["Content"]!
            if content.hasPrefix("[client "), let close = content.firstIndex(of: "]") {
                #expect(e.field("client_ip") == .string(String(content[content.index(content.startIndex, offsetBy: 8)..<close])))
                content = String(content[content.index(after: close)...].drop(while: { $0 == " " }))
            } else {
                #expect(e.field("client_ip") == nil)
            }
            #expect(e.message == content)
            if let l = LogLevel.normalise(row["Level"]!) { #expect(e.level == l) } else { #expect(e.field("apache_level") == .string(row["Level"]!)) }
        }
    }
}

/// Lines of a loghub `_2k.log` (CR stripped, the final line even without a newline).
func loghubLines(_ path: String) throws -> [String] {
    let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
    var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map {
        String(decoding: $0.last == 0x0D ? $0.dropLast() : $0[...], as: UTF8.self)
    }
    if lines.last == "" { lines.removeLast() }
    return lines
}

/// Rows of a loghub structured CSV as column → cell, read by Python's csv module (independent
/// of Strata's CSV parser).
func loghubRows(_ path: String) throws -> [[String: String]] {
    let script = "import csv,json,sys\nfor r in csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8')): print(json.dumps(r))"
    let tmp = NSTemporaryDirectory() + "/strata-csv-rows.py"
    try script.write(toFile: tmp, atomically: true, encoding: .utf8)
    return try pythonJSONLines(tmp, [path]).map { $0.compactMapValues { $0 as? String } }
}

// Parser throughput on one core: each parser over real or generated lines, the median of
// several runs in lines/s and MB/s. `make bench-parsers` runs it pinned to one CPU.
// Usage: StrataParsers [--corpus DIR] [--runs N] [--json FILE]
import Foundation
import StrataFormat
import StrataParse
import StrataPipeline

var corpus = "../shared/corpus"
var runs = 5
var jsonOut: String?
var args = CommandLine.arguments.dropFirst()
while let a = args.popFirst() {
    switch a {
    case "--corpus": corpus = args.popFirst() ?? corpus
    case "--runs": runs = Int(args.popFirst() ?? "") ?? runs
    case "--json": jsonOut = args.popFirst()
    default: print("unknown argument \(a)"); exit(2)
    }
}

func lines(ofFile path: String) -> [[UInt8]] {
    guard let d = FileManager.default.contents(atPath: path) else { print("missing \(path)"); exit(1) }
    return [UInt8](d).split(separator: 0x0A).map { Array($0.last == 0x0D ? $0.dropLast() : $0[...]) }
}

/// At least `n` lines, repeating `base`.
func repeated(_ base: [[UInt8]], to n: Int) -> [[UInt8]] {
    var out: [[UInt8]] = []
    out.reserveCapacity(n)
    while out.count < n { out.append(contentsOf: base.prefix(n - out.count)) }
    return out
}

var rng = SystemRandomNumberGenerator()
let services = ["checkout", "billing", "search", "auth", "cart"], levels = ["info", "info", "info", "warn", "error", "debug"]
func appJSON(_ i: Int) -> [UInt8] {
    Array(#"{"timestamp":"2026-11-29T10:\#(String(format: "%02d:%02d", (i / 60) % 60, i % 60)).\#(String(format: "%03d", i % 1000))Z","level":"\#(levels[i % levels.count])","service":"\#(services[i % services.count])","message":"user \#(i % 9973) logged in from 10.0.\#(i % 256).\#(i % 199)","trace_id":"\#(String(i &* 2654435761 % 0xffffffff, radix: 16))","http":{"status":\#([200, 200, 201, 404, 500][i % 5]),"duration_ms":\#(i % 977)}}"#.utf8)
}
func logfmt(_ i: Int) -> [UInt8] {
    Array("ts=2026-11-29T10:00:00.\(String(format: "%03d", i % 1000))Z level=\(levels[i % levels.count]) service=\(services[i % 5]) msg=\"request done\" status=\([200, 404, 500][i % 3]) duration_ms=\(i % 977) user=u\(i % 9973)".utf8)
}
func syslog5424(_ i: Int) -> [UInt8] {
    Array("<165>1 2026-11-29T10:00:00.\(String(format: "%03d", i % 1000))Z web-\(i % 8) \(services[i % 5]) \(1000 + i % 50) ID\(i % 9) [meta@32473 req=\"\(i)\"] request \(i) served in \(i % 977) ms".utf8)
}
func nginxError(_ i: Int) -> [UInt8] {
    Array("2026/11/29 10:00:\(String(format: "%02d", i % 60)) [error] \(100 + i % 7)#0: *\(i) open() \"/srv/www/f\(i % 97).png\" failed (2: No such file or directory), client: 10.0.\(i % 256).\(i % 199), server: shop, request: \"GET /f\(i % 97).png HTTP/1.1\", host: \"shop.example\"".utf8)
}

let n = 200_000
let apache = lines(ofFile: corpus + "/web/apache_logs")
let hdfs = lines(ofFile: corpus + "/loghub/HDFS/HDFS_2k.log")
var csv: [[UInt8]] = []
for sys in ["Hadoop", "HDFS", "OpenSSH", "Spark"] { csv += lines(ofFile: corpus + "/loghub/\(sys)/\(sys)_2k.log_structured.csv").dropFirst() }
let defaults = ParseDefaults(receivedAtNanos: 1_795_946_400_000_000_000)

var library = GrokLibrary.builtin
try library.load(directory: corpus + "/grok/patterns/legacy")
let grokApache = try PatternLineParser(grok: ["%{COMBINEDAPACHELOG}"], library: library)
let hdfsGrok = try PatternLineParser(grok: [#"%{INT:date} %{INT:time} %{INT:pid} %{LOGLEVEL:level} %{NOTSPACE:component}: %{GREEDYDATA:message}"#], library: library)
let regex = try PatternLineParser(regexes: [#"(?<client_ip>\S+) \S+ (?<user>\S+) \[(?<timestamp>[^\]]+)\] "(?<message>[^"]*)" (?<status>\d{3}) (?<bytes>\d+|-) "(?<referer>[^"]*)" "(?<user_agent>[^"]*)""#])
let ua = try UserAgentParser(rules: UserAgentParser.defaultRules)
let uaStrings = apache.compactMap { l -> [UInt8]? in
    guard let q = l.lastIndex(of: UInt8(ascii: "\"")), let p = l[..<q].lastIndex(of: UInt8(ascii: "\"")) else { return nil }
    return Array(l[(p + 1)..<q])
}

typealias Run = (UnsafeRawBufferPointer) -> Bool
let cases: [(String, [[UInt8]], Run)] = [
    ("json (NDJSON app logs)", (0..<n).map(appJSON), { (try? JSONLineParser().parse($0, defaults: defaults)) != nil }),
    ("logfmt", (0..<n).map(logfmt), { (try? LogfmtParser().parse($0, defaults: defaults)) != nil }),
    ("kv (key: value, …)", (0..<n).map { Array(String(decoding: logfmt($0), as: UTF8.self).replacingOccurrences(of: "=", with: ": ").replacingOccurrences(of: " ", with: ", ").utf8) },
     { (try? KeyValueParser(pairSeparator: UInt8(ascii: ","), keyValueSeparator: UInt8(ascii: ":")).parse($0, defaults: defaults)) != nil }),
    ("nginx combined (apache_logs corpus)", repeated(apache, to: n), { AccessLogFormat.nginxCombined.parse($0, defaults: defaults) != nil }),
    ("apache combined (apache_logs corpus)", repeated(apache, to: n), { AccessLogFormat.apacheCombined.parse($0, defaults: defaults) != nil }),
    ("nginx error log", (0..<n).map(nginxError), { (try? ErrorLogParser(.nginx).parse($0, defaults: defaults)) != nil }),
    ("syslog RFC 5424", (0..<n).map(syslog5424), { _ = SyslogParser.parse($0, defaults: defaults); return true }),
    ("csv (loghub structured)", repeated(csv, to: n), { buf in
        var p = CSVParser(options: CSVOptions(header: .absent))
        return (try? p.parse(record: buf)) != nil }),
    ("regex, named groups (combined)", repeated(apache, to: n), { (try? regex.parse($0, defaults: defaults)) != nil }),
    ("grok %{COMBINEDAPACHELOG}", repeated(apache, to: n), { (try? grokApache.parse($0, defaults: defaults)) != nil }),
    ("grok loghub HDFS header", repeated(hdfs, to: n), { (try? hdfsGrok.parse($0, defaults: defaults)) != nil }),
    ("user-agent (corpus UAs)", repeated(uaStrings, to: n), { !ua.parse($0).device.isEmpty || true }),
]

func median(_ v: [Double]) -> Double { let s = v.sorted(); return s[s.count / 2] }
var results: [[String: Any]] = []
print(String(repeating: "-", count: 86))
print("parser".padding(toLength: 40, withPad: " ", startingAt: 0) + "lines/s (median)".padding(toLength: 20, withPad: " ", startingAt: 0) + "MB/s".padding(toLength: 10, withPad: " ", startingAt: 0) + "parsed")
print(String(repeating: "-", count: 86))
for (name, input, parse) in cases {
    let bytes = input.reduce(0) { $0 + $1.count + 1 }
    var rates: [Double] = []
    var ok = 0
    for _ in 0..<runs {
        ok = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        for l in input { if l.withUnsafeBytes(parse) { ok += 1 } }
        let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        rates.append(Double(input.count) / s)
    }
    let lps = median(rates)
    let mbps = lps * Double(bytes) / Double(input.count) / 1e6
    print(name.padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "%-20.0f%-10.1f%d/%d", lps, mbps, ok, input.count))
    results.append(["parser": name, "lines_per_second": lps, "mb_per_second": mbps, "lines": input.count, "parsed": ok, "runs": runs])
}
if let jsonOut {
    let d = try JSONSerialization.data(withJSONObject: ["parsers": results], options: [.prettyPrinted, .sortedKeys])
    try d.write(to: URL(fileURLWithPath: jsonOut))
}

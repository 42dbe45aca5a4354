import ArgumentParser
import StrataEngine
import StrataFormat
import StrataQuery
import StrataIO

/// `strata query`: searches a data directory and prints matches newest first.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Search a data directory; prints matching entries newest first.")

    @OptionGroup var data: DataDirOptions

    @Option(help: "Start of the time range: RFC 3339, 'now' or relative like -15m.")
    var from: String?

    @Option(help: "End of the time range (inclusive).")
    var to: String?

    @Option(help: "Maximum entries to print.")
    var limit: Int = 100

    @Option(help: "Output: ndjson | json | table.")
    var output: String = "ndjson"

    @Flag(help: "Print what was scanned and skipped to stderr.")
    var explain = false

    @Argument(help: "The query, e.g. 'level:error service:api timeout'.")
    var query: [String] = []

    func run() throws {
        let now = wallClockNanos()
        var fromNanos = Int64.min, toNanos = Int64.max
        if let from {
            guard let v = TimeSpec.parse(from, now: now) else { throw ValidationError("cannot parse --from '\(from)'") }
            fromNanos = v
        }
        if let to {
            guard let v = TimeSpec.parse(to, now: now) else { throw ValidationError("cannot parse --to '\(to)'") }
            toNanos = v
        }
        guard ["ndjson", "json", "table"].contains(output) else { throw ValidationError("unknown --output '\(output)'") }
        guard FileSystem.exists(data.dataDir + "/MANIFEST") else {
            throw ValidationError("\(data.dataDir) is not a Strata data directory (no MANIFEST)")
        }
        let engine = try Engine(options: EngineOptions(dataDirectory: data.dataDir), readOnly: true)
        let executor = QueryExecutor(engine: engine)
        let result = try executor.search(SearchRequest(query: query.joined(separator: " "), fromNanos: fromNanos,
                                                       toNanos: toNanos, limit: limit))
        var out = [UInt8]()
        switch output {
        case "json":
            out.append(contentsOf: #"{"hits":["#.utf8)
            for (i, e) in result.hits.enumerated() {
                if i > 0 { out.append(0x2C) }
                LogEntryJSON.append(e, to: &out)
            }
            out.append(contentsOf: "],\"total\":\(result.total),\"took_ms\":\(formatFixed(Double(result.tookNanos) / 1e6, 3))}\n".utf8)
        case "table":
            for e in result.hits {
                let line = "\(Timestamp.format(e.timestampNanos))  \(pad(e.level.description, 5))  \(pad(e.service, 12))  \(pad(e.host, 12))  \(e.message)\n"
                out.append(contentsOf: line.utf8)
            }
        default:
            for e in result.hits {
                LogEntryJSON.append(e, to: &out)
                out.append(0x0A)
            }
        }
        print(String(decoding: out, as: UTF8.self), terminator: "")
        if explain {
            printError("total \(result.total) hits; segments scanned \(result.segmentsScanned) skipped \(result.segmentsSkipped); blocks scanned \(result.blocksScanned) skipped \(result.blocksSkipped); rows scanned \(result.rowsScanned); \(formatFixed(Double(result.tookNanos) / 1e6, 3)) ms")
        }
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }
}

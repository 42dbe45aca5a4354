import Foundation
import ArgumentParser
import StrataEngine
import StrataFormat
import StrataQuery
import StrataIO
import StrataClient

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

    @Option(help: "Next page: only entries older than this id (the next_cursor of a previous --output json run).")
    var cursor: String?

    @Option(help: "Output: ndjson | json | table.")
    var output: String = "ndjson"

    @Flag(help: "Print what was scanned and skipped to stderr.")
    var explain = false

    @Option(help: "Run the query this many times in-process and print the latency median and p95 to stderr (benchmarking).")
    var `repeat`: Int = 1

    @Option(help: "The archive directory of --data-dir (segtool archive / archive_dir), to search archived partitions too.")
    var archiveDir: String?

    @Option(help: "Ask a running server (e.g. http://127.0.0.1:8080) instead of opening --data-dir.")
    var server: String?

    @Option(help: "API token for --server, when it requires one (default: $STRATA_TOKEN).")
    var token: String?

    @Argument(help: "The query, e.g. 'level:error service:api timeout'.")
    var query: [String] = []

    func run() throws {
        if let server { return try runRemote(server) }
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
        var options = EngineOptions(dataDirectory: data.dataDir)
        // A read-only run fetches archive segments into a private temporary cache.
        let cacheDir = "/tmp/strata-query-archive-cache-\(getpid())"
        if let archiveDir {
            var a = ArchiveOptions(store: try LocalDirectoryStore(root: archiveDir))
            a.cacheDirectory = cacheDir
            options.archive = a
        }
        defer { if archiveDir != nil { _ = try? FileSystem.listDirectory(cacheDir).map { try? FileSystem.removeFile(cacheDir + "/" + $0) }; _ = rmdir(cacheDir) } }
        let engine = try Engine(options: options, readOnly: true)
        let executor = QueryExecutor(engine: engine)
        var before: LogID? = nil
        if let cursor {
            guard let id = LogID(cursor) else { throw ValidationError("--cursor must be an entry id (32 hex digits), got '\(cursor)'") }
            before = id
        }
        let request = SearchRequest(query: query.joined(separator: " "), fromNanos: fromNanos, toNanos: toNanos, limit: limit, before: before)
        var result = try executor.search(request)
        if self.repeat > 1 {
            var times = [UInt64]()
            for _ in 0..<self.repeat {
                result = try executor.search(request)
                times.append(result.tookNanos)
            }
            times.sort()
            let median = Double(times[times.count / 2]) / 1e6
            let p95 = Double(times[min(times.count - 1, times.count * 95 / 100)]) / 1e6
            printError("latency over \(self.repeat) runs: median \(formatFixed(median, 3)) ms, p95 \(formatFixed(p95, 3)) ms, min \(formatFixed(Double(times[0]) / 1e6, 3)) ms")
        }
        var out = [UInt8]()
        if let columns = result.columns {
            switch output {
            case "json":
                ResultJSON.appendResult(result, to: &out)
                out.append(0x0A)
            case "table":
                let cells = [columns] + result.rows.map { $0.map(\.text) }
                let widths = columns.indices.map { c in cells.map { $0[c].count }.max() ?? 0 }
                for row in cells {
                    let line = row.enumerated().map { pad($0.element, widths[$0.offset]) }.joined(separator: "  ")
                    out.append(contentsOf: (line + "\n").utf8)
                }
            default:
                for r in result.rows {
                    ResultJSON.appendRow(r, columns: columns, to: &out)
                    out.append(0x0A)
                }
            }
        } else {
            switch output {
            case "json":
                ResultJSON.appendResult(result, to: &out)
                out.append(0x0A)
            case "table":
                for e in result.hits {
                    let line = "\(Timestamp.format(e.timestampNanos))  \(pad(e.level.description, 5))  \(pad(e.service, 12))  \(pad(e.host, 12))  \(e.message)\n"
                    out.append(contentsOf: line.utf8)
                }
            default:
                for e in result.hits {
                    ResultJSON.appendHit(e, projection: result.projection, to: &out)
                    out.append(0x0A)
                }
            }
        }
        print(String(decoding: out, as: UTF8.self), terminator: "")
        if explain {
            let parsed = try Query.parse(request.query)
            printError("plan: filter \(parsed.filter)\(parsed.stats.map { " | stats \($0.aggregates.map(\.name).joined(separator: ", "))\($0.groups.isEmpty ? "" : " by " + $0.groups.map(\.name).joined(separator: ", "))" } ?? ""); blocks pruned by time, then by term indexes (keyword columns and low-cardinality string fields), then by Bloom filter (terms, phrases, field values, ids)")
            printError("total \(result.total) matches; partitions \(result.partitionsScanned); segments scanned \(result.segmentsScanned) skipped \(result.segmentsSkipped); blocks scanned \(result.blocksScanned) skipped by time \(result.blocksSkipped) by term index \(result.blocksSkippedByIndex) by bloom \(result.blocksSkippedByBloom); rows scanned \(result.rowsScanned); \(formatFixed(Double(result.tookNanos) / 1e6, 3)) ms")
        }
    }

    /// The same query against a server's `GET /api/logs` (the server resolves relative times).
    func runRemote(_ url: String) throws {
        guard ["ndjson", "json", "table"].contains(output) else { throw ValidationError("unknown --output '\(output)'") }
        let (host, port) = try ServerURL.parse(url)
        var params = [("q", query.joined(separator: " ")), ("limit", String(limit))]
        if let from { params.append(("from", from)) }
        if let to { params.append(("to", to)) }
        if let cursor { params.append(("cursor", cursor)) }
        if output == "ndjson" { params.append(("format", "ndjson")) }
        let r = try HTTPClient(host: host, port: port).request("GET", "/api/logs?" + ServerURL.form(params), headers: ServerURL.authHeaders(token))
        guard r.status == 200 else { throw ValidationError("server answered \(r.status): \(r.text)") }
        guard output == "table" else {
            print(r.text, terminator: "")
            return
        }
        guard let doc = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any] else {
            throw ValidationError("the server's answer is not JSON: \(r.text.prefix(200))")
        }
        if let columns = doc["columns"] as? [String], let rows = doc["rows"] as? [[String: Any]] {
            let cells = [columns] + rows.map { row in columns.map { c in row[c].map { "\($0)" } ?? "" } }
            let widths = columns.indices.map { c in cells.map { $0[c].count }.max() ?? 0 }
            for row in cells { print(row.enumerated().map { pad($0.element, widths[$0.offset]) }.joined(separator: "  ")) }
        } else {
            for h in doc["hits"] as? [[String: Any]] ?? [] {
                func t(_ k: String) -> String { h[k] as? String ?? "" }
                print("\(t("timestamp"))  \(pad(t("level"), 5))  \(pad(t("service"), 12))  \(pad(t("host"), 12))  \(t("message"))")
            }
        }
        if explain { printError("total \(doc["total"] ?? 0) matches; \(doc["took_ms"] ?? 0) ms on the server") }
    }

    private func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : s + String(repeating: " ", count: n - s.count)
    }
}

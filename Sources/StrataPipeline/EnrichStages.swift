#if canImport(Glibc)
import Glibc
#endif
import StrataFormat
import StrataIO
import StrataParse

/// `lookup: {field: service, table: services.csv, key_column: name, prefix: svc.}` — joins a
/// static CSV table (header row required): for an entry whose `field` equals a row's
/// `key_column`, every other column is added as a field (`prefix` + column name, typed by
/// inference). Existing fields are not overwritten.
///
/// Invariant: the table is read once when the pipeline is built; a missing file or key column
/// is a configuration error, never a per-entry one.
final class LookupStage: PipelineStage {
    let kind = "lookup"
    let field: String
    let rows: [String: [(String, FieldValue)]]

    init(field: String, tablePath: String, keyColumn: String?, prefix: String, path: String) throws(PipelineConfigError) {
        self.field = field
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(tablePath) } catch { throw PipelineConfigError.failed(path: path + ".table", reason: error.description) }
        var parser = CSVParser(options: CSVOptions(header: .present))
        var records: [[(key: String, value: String)]] = []
        var failure: ParseError?
        bytes.withUnsafeBytes { buf in
            CSVParser.splitRecords(in: buf, options: parser.options) { rec in
                guard failure == nil else { return }
                do throws(ParseError) {
                    if let r = try parser.parse(record: rec) { records.append(r) }
                } catch { failure = error }
            }
        }
        if let failure { throw PipelineConfigError.failed(path: path + ".table", reason: "\(tablePath): \(failure)") }
        guard let columns = parser.columns, !columns.isEmpty else { throw PipelineConfigError.failed(path: path + ".table", reason: "\(tablePath) has no header row") }
        let key = keyColumn ?? columns[0]
        guard columns.contains(key) else { throw PipelineConfigError.failed(path: path + ".key_column", reason: "\(tablePath) has no column '\(key)'") }
        var rows: [String: [(String, FieldValue)]] = [:]
        for r in records {
            guard let k = r.first(where: { $0.key == key })?.value, rows[k] == nil else { continue }
            rows[k] = r.filter { $0.key != key }.map { (prefix + $0.key, Array($0.value.utf8).withUnsafeBytes { FieldInference.value($0) }) }
        }
        self.rows = rows
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        for i in entries.indices {
            guard let k = entries[i].text(of: field), let add = rows[k] else { continue }
            for (f, v) in add where entries[i].field(f) == nil { entries[i].set(f, v) }
        }
    }
}

/// `host_metadata: {}` — fills the entry's host with this machine's name when empty and adds
/// `host.os` / `host.kernel` / `host.arch` (from `uname`), as an agent or server sees them.
final class HostMetadataStage: PipelineStage {
    let kind = "host_metadata"
    let hostname: String
    let extra: [(String, FieldValue)]

    init() {
        var u = utsname()
        uname(&u)
        func text<T>(_ t: T) -> String { withUnsafeBytes(of: t) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) } }
        hostname = text(u.nodename)
        extra = [("host.os", .string(text(u.sysname))), ("host.kernel", .string(text(u.release))), ("host.arch", .string(text(u.machine)))]
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        for i in entries.indices {
            if entries[i].host.isEmpty { entries[i].host = hostname }
            for (k, v) in extra where entries[i].field(k) == nil { entries[i].set(k, v) }
        }
    }
}

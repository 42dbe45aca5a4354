import ArgumentParser
import StrataEngine
import StrataFormat
import StrataIO
import StrataParse
import StrataReceivers
import StrataSegment
import StrataWAL
#if canImport(Glibc)
import Glibc
#endif

/// `strata ingest`: parses files (or stdin) and stores every accepted line durably.
struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest log lines from files or stdin into a data directory.",
        discussion: "When the command exits, every accepted entry is durable in segments.")

    @OptionGroup var data: DataDirOptions

    @Option(help: "Input format: \(InputFormat.allCases.map(\.rawValue).joined(separator: "|"))|syslog (RFC 5424/3164 lines).")
    var format: String = "auto"

    @Option(help: "Service name for entries that carry none.")
    var service: String = ""

    @Option(help: "Host name for entries that carry none.")
    var host: String = ""

    @Option(help: "WAL fsync policy: always | interval | interval:MS.")
    var fsync: String = "always"

    @Option(help: "Entries per WAL batch.")
    var batch: Int = 8192

    @Option(help: "Partition width in minutes (only when the data directory is created).")
    var partitionMinutes: Int = 60

    @Option(help: "zstd level for segment columns (1-22; higher is smaller and slower).")
    var zstdLevel: Int32 = 9

    @Option(help: "Rows per segment block (1-65536): smaller blocks make selective queries read less, larger ones compress better.")
    var blockRows: Int = 65_536

    @Option(help: "Bloom filter bits per key (4-32; more bits, fewer false positives, bigger index).")
    var bloomBits: Int = 12

    @Option(help: "Flush a segment whenever buffered entries reach this many MiB (small values make many small segments, as a busy server with frequent flushes does).")
    var memtableMB: Int = 128

    @Flag(help: "Print nothing but the summary line.")
    var quiet = false

    @Argument(help: "Files to ingest; '-' or none for stdin.")
    var files: [String] = []

    func run() throws {
        let syslog = format == "syslog"
        guard let fmt = syslog ? .raw : InputFormat(rawValue: format) else {
            throw ValidationError("unknown format '\(format)'; expected one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", ")), syslog")
        }
        guard let policy = FsyncPolicy(fsync) else { throw ValidationError("unknown fsync policy '\(fsync)'") }
        guard batch > 0, partitionMinutes > 0 else { throw ValidationError("--batch and --partition-minutes must be positive") }
        guard (1...22).contains(zstdLevel) else { throw ValidationError("--zstd-level must be 1...22") }
        guard (1...Limits.maxRowsPerBlock).contains(blockRows) else { throw ValidationError("--block-rows must be 1...\(Limits.maxRowsPerBlock)") }
        guard (4...32).contains(bloomBits) else { throw ValidationError("--bloom-bits must be 4...32") }
        guard (1...65_536).contains(memtableMB) else { throw ValidationError("--memtable-mb must be 1...65536") }
        var options = EngineOptions(dataDirectory: data.dataDir,
                                    partitionDurationNanos: Int64(partitionMinutes) * 60_000_000_000,
                                    wal: WALOptions(fsync: policy),
                                    segment: SegmentWriterOptions(rowsPerBlock: blockRows, zstdLevel: zstdLevel, bloomBitsPerKey: bloomBits))
        options.memtableMaxBytes = memtableMB << 20
        let engine = try Engine(options: options)
        let parser = LineParser(format: fmt)
        let started = monotonicNanos()
        var accepted = 0, rejected = 0, bytes = 0
        var pending = [LogEntry]()
        pending.reserveCapacity(batch)
        let inputs = files.isEmpty ? ["-"] : files
        for input in inputs {
            let source = input == "-" ? "stdin" : input
            let fd: Int32 = input == "-" ? 0 : open(input, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw IOError(path: input, operation: "open", errno: errno) }
            defer { if fd != 0 { close(fd) } }
            var lineNo = 0
            let received = wallClockNanos()
            // Read in 4 MiB chunks; a line cut by a chunk boundary is carried into the next chunk.
            var carry = [UInt8]()
            var chunk = [UInt8](repeating: 0, count: 4 << 20)
            func handle(_ line: UnsafeRawBufferPointer) throws {
                lineNo += 1
                // Receive time advances by 1 ns a line so that lines without a timestamp keep their order.
                let defaults = ParseDefaults(receivedAtNanos: received + Int64(lineNo), service: service, host: host,
                                             source: input == "-" ? "" : input)
                do {
                    if let e = syslog ? SyslogParser.parse(line, defaults: defaults) : try parser.parse(line, defaults: defaults) {
                        if let reason = e.validationError { throw ParseError(reason, at: 0) }
                        pending.append(e)
                        if pending.count >= batch {
                            try engine.append(pending)
                            accepted += pending.count
                            pending.removeAll(keepingCapacity: true)
                        }
                    }
                } catch let e as ParseError {
                    rejected += 1
                    if !quiet && rejected <= 20 { printError("\(source):\(lineNo): rejected: \(e)") }
                }
            }
            while true {
                let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw IOError(path: input, operation: "read", errno: errno)
                }
                if n == 0 { break }
                bytes += n
                try chunk.withUnsafeBytes { whole in
                    let buf = UnsafeRawBufferPointer(rebasing: whole[0..<n])
                    guard let lastNewline = buf.lastIndex(of: 0x0A) else {
                        carry.append(contentsOf: buf)
                        return
                    }
                    var start = 0
                    if !carry.isEmpty {
                        let firstNewline = buf.firstIndex(of: 0x0A)!
                        carry.append(contentsOf: buf[0..<firstNewline])
                        try carry.withUnsafeBytes { try handle($0) }
                        carry.removeAll(keepingCapacity: true)
                        start = firstNewline + 1
                    }
                    if start <= lastNewline {
                        try LineParser.forEachLine(in: UnsafeRawBufferPointer(rebasing: buf[start..<lastNewline])) { try handle($0) }
                    }
                    carry.append(contentsOf: buf[(lastNewline + 1)...])
                }
            }
            if !carry.isEmpty { try carry.withUnsafeBytes { try handle($0) } }
        }
        if !pending.isEmpty {
            try engine.append(pending)
            accepted += pending.count
        }
        try engine.close()
        let seconds = Double(monotonicNanos() - started) / 1e9
        let rate = seconds > 0 ? Double(accepted) / seconds : 0
        print("accepted \(accepted) rejected \(rejected) in \(formatFixed(seconds, 3)) s (\(Int(rate)) logs/s, \(formatFixed(Double(bytes) / 1e6 / max(seconds, 1e-9), 1)) MB/s)")
    }
}

/// Writes a line to standard error.
func printError(_ s: String) {
    var line = s + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// `v` with `digits` decimals.
func formatFixed(_ v: Double, _ digits: Int) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (v * p).rounded() / p
    var s = String(r)
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        s += "." + String(repeating: "0", count: digits)
    }
    return s
}

/// Flushes stdout now (a followed stream must reach pipes line by line).
func fflushStdout() { fflush(nil) }   // nil: every output stream (stdout included)

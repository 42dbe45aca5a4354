import ArgumentParser
import StrataEngine
import StrataFormat
import StrataIO
import StrataParse
import StrataPipeline
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

    @Option(help: "Input format: \(InputFormat.allCases.map(\.rawValue).joined(separator: "|")) (nginx/apache: combined or common access log, else error log; syslog: RFC 5424/3164).")
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

    @Option(help: "Configuration file holding `pipelines:` (and `outputs:`), as strata.yaml.")
    var config: String?

    @Option(help: "Run each line through this pipeline of --config (its parser, multiline, processors and routes) instead of --format.")
    var pipeline: String?

    @Argument(help: "Files to ingest; '-' or none for stdin.")
    var files: [String] = []

    func run() throws {
        guard let fmt = InputFormat(rawValue: format) else {
            throw ValidationError("unknown format '\(format)'; expected one of \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
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
        var runner: PipelineRunner?
        if let name = pipeline {
            guard let config else { throw ValidationError("--pipeline needs --config FILE holding the pipelines") }
            let text: String
            do { text = try String(decoding: FileSystem.readFile(config), as: UTF8.self) } catch { throw ValidationError("cannot read \(config): \(error)") }
            let dir = config.contains("/") ? String(config[..<config.lastIndex(of: "/")!]) : "."
            let set: PipelineSet
            do { set = try PipelineSet.load(yaml: text, path: config, baseDirectory: dir) } catch { throw ValidationError("\(config): \(error)") }
            guard let p = set.pipeline(named: name) else {
                throw ValidationError("\(config) has no pipeline '\(name)' (it has: \(set.pipelines.map(\.name).joined(separator: ", ")))")
            }
            runner = PipelineRunner(set: set, only: p)
        }
        let engine = try Engine(options: options)
        let parser = LineParser(format: fmt)
        // Options read once: an @Option's getter per line costs more than the line's WAL record.
        let batch = self.batch, service = self.service, host = self.host, quiet = self.quiet
        var linesIn = 0, stored = 0
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
            var joiner = runner?.only?.multiline?.makeJoiner()
            /// With a pipeline: one raw entry per line (or per joined multiline event).
            func handleRaw(_ event: UnsafeRawBufferPointer) throws {
                var end = event.count
                while end > 0, event[end - 1] == 0x0D { end -= 1 }
                guard end > 0 else { return }
                linesIn += 1
                pending.append(LogEntry(timestampNanos: received + Int64(lineNo), message: String(decoding: event[0..<end], as: UTF8.self),
                                        service: service, host: host, source: input == "-" ? "" : input))
                if pending.count >= batch { try flush() }
            }
            func flush() throws {
                let out = runner.map { $0.run(pending, now: wallClockNanos()) } ?? pending
                if !out.isEmpty { try engine.append(out) }
                stored += out.count
                accepted += runner == nil ? out.count : pending.count
                pending.removeAll(keepingCapacity: true)
            }
            func handle(_ line: UnsafeRawBufferPointer) throws {
                lineNo += 1
                if runner != nil {
                    if joiner != nil {
                        var events: [[UInt8]] = []
                        joiner!.push(line, nowNanos: 0) { events.append($0) }
                        for e in events { try e.withUnsafeBytes { try handleRaw($0) } }
                    } else {
                        try handleRaw(line)
                    }
                    return
                }
                // Receive time advances by 1 ns a line so that lines without a timestamp keep their order.
                let defaults = ParseDefaults(receivedAtNanos: received + Int64(lineNo), service: service, host: host,
                                             source: input == "-" ? "" : input)
                do {
                    if let e = try parser.parse(line, defaults: defaults) {
                        if let reason = e.validationError { throw ParseError(reason, at: 0) }
                        pending.append(e)
                        if pending.count >= batch { try flush() }
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
            if joiner != nil {
                var events: [[UInt8]] = []
                joiner!.finish { events.append($0) }
                for e in events { try e.withUnsafeBytes { try handleRaw($0) } }
            }
            if !pending.isEmpty { try flush() }
        }
        try engine.close()
        if let runner {
            runner.drain()
            let d = runner.deliveryCounts
            print("pipeline \(pipeline ?? ""): \(linesIn) events in, \(stored) stored (the rest dropped by processors or routed elsewhere), \(runner.only?.parser?.failureCount ?? 0) did not parse"
                  + (d.delivered + d.failed + d.dropped > 0 ? ", forwarded batches \(d.delivered) ok / \(d.failed) failed / \(d.dropped) dropped" : ""))
        }
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

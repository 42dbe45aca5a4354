import ArgumentParser
import StrataFormat
import StrataIO
import StrataSegment
import StrataWAL
#if canImport(Glibc)
import Glibc
#endif

/// Verification of segments, WAL files, manifests and whole data directories.
public enum Verifier {
    /// One finding: a fault (corruption) or a warning (e.g. an orphan file).
    public struct Finding: CustomStringConvertible {
        public var isFault: Bool
        public var message: String
        public var description: String { (isFault ? "FAULT " : "warning ") + message }
    }

    /// Verifies `path` (a `.seg`, a `.wal`, a `MANIFEST` or a data directory); `log` receives progress lines.
    public static func verify(path: String, log: (String) -> Void) -> [Finding] {
        var findings = [Finding]()
        func fault(_ m: String) { findings.append(Finding(isFault: true, message: m)); log("FAULT " + m) }
        func warn(_ m: String) { findings.append(Finding(isFault: false, message: m)); log("warning " + m) }
        if FileSystem.isDirectory(path) {
            let manifestPath = path + "/MANIFEST"
            let manifest: Manifest
            do { manifest = try DataDirectoryWalker.readManifest(manifestPath) } catch {
                fault("\(error)")
                return findings
            }
            log("ok \(manifestPath): generation \(manifest.generation), \(manifest.segments.count) segments")
            var listed = Set<String>()
            for s in manifest.segments {
                let full = path + "/" + s.path
                listed.insert(s.path)
                guard FileSystem.exists(full) else { fault("\(full): listed in MANIFEST but missing"); continue }
                if let size = try? FileSystem.fileSize(full), size != Int(s.sizeInBytes) {
                    fault("\(full): size \(size) bytes, MANIFEST records \(s.sizeInBytes)")
                    continue
                }
                findings += verifySegment(full, expect: s, log: log)
            }
            if let parts = try? FileSystem.listDirectory(path + "/partitions") {
                for d in parts {
                    for f in (try? FileSystem.listDirectory(path + "/partitions/" + d)) ?? [] where !listed.contains("partitions/\(d)/\(f)") {
                        warn("\(path)/partitions/\(d)/\(f): not listed in MANIFEST (orphan from an interrupted flush or compaction)")
                    }
                }
            }
            for (_, wal) in (try? WALReader.listFiles(directory: path + "/wal")) ?? [] {
                findings += verifyWAL(wal, log: log)
            }
            return findings
        }
        if path.hasSuffix(".wal") { return verifyWAL(path, log: log) }
        if FileSystem.baseName(path) == "MANIFEST" {
            do { _ = try DataDirectoryWalker.readManifest(path); log("ok \(path)") } catch { fault("\(error)") }
            return findings
        }
        return verifySegment(path, expect: nil, log: log)
    }

    static func verifySegment(_ path: String, expect: SegmentRecord?, log: (String) -> Void) -> [Finding] {
        do {
            let reader = try SegmentReader(path: path)
            let report = try SegmentVerifier.verify(reader)
            if let e = expect {
                let h = reader.header
                if h.rowCount != e.rowCount || h.minTimestampNanos != e.minTimestampNanos || h.maxTimestampNanos != e.maxTimestampNanos {
                    let m = "\(path): header (rows \(h.rowCount), time \(h.minTimestampNanos)...\(h.maxTimestampNanos)) disagrees with MANIFEST (rows \(e.rowCount), time \(e.minTimestampNanos)...\(e.maxTimestampNanos))"
                    log("FAULT " + m)
                    return [Finding(isFault: true, message: m)]
                }
            }
            log("ok \(path): \(report.rows) rows, \(report.blocks) blocks, \(report.columns) columns")
            return []
        } catch let e as FormatError {
            let m = e.inFile(path).description
            log("FAULT " + m)
            return [Finding(isFault: true, message: m)]
        } catch {
            log("FAULT \(error)")
            return [Finding(isFault: true, message: "\(error)")]
        }
    }

    static func verifyWAL(_ path: String, log: (String) -> Void) -> [Finding] {
        do {
            let (batches, damage) = try WALReader.readFile(path)
            if let damage {
                // A record cut short at the end of the file is what a crash mid-write leaves: nothing
                // acknowledged is lost (under fsync=always), so it is a warning; damage is a fault.
                let torn = damage.error.kind == .truncated
                let m = "\(damage) — \(batches.count) valid records before it; recovery truncates the file there"
                    + (torn ? " (torn tail: normal after a crash)" : "")
                log((torn ? "warning " : "FAULT ") + m)
                return [Finding(isFault: !torn, message: m)]
            }
            log("ok \(path): \(batches.count) records, \(batches.reduce(0) { $0 + $1.entries.count }) entries")
            return []
        } catch {
            log("FAULT \(error)")
            return [Finding(isFault: true, message: "\(error)")]
        }
    }
}

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every checksum and invariant; exit 1 on any fault.",
        discussion: "PATH may be a segment (.seg), a WAL file (.wal), a MANIFEST or a data directory.")

    @Argument(help: "Paths to verify.")
    var paths: [String]

    @Flag(help: "Print only faults and warnings.")
    var quiet = false

    func run() throws {
        var faults = 0
        for p in paths {
            guard FileSystem.exists(p) else {
                print("FAULT \(p): no such file or directory")
                faults += 1
                continue
            }
            let findings = Verifier.verify(path: p) { line in
                if !quiet || !line.hasPrefix("ok ") { print(line) }
            }
            faults += findings.filter(\.isFault).count
        }
        if faults > 0 {
            print("\(faults) fault(s) found")
            throw ExitCode(1)
        }
        print("verified: no faults")
    }
}

struct DumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print the rows of segments (or WAL files) as NDJSON.")

    @Argument(help: "Segment files, WAL files or data directories.")
    var paths: [String]

    func run() throws {
        for p in paths {
            if p.hasSuffix(".wal") {
                let (batches, damage) = try WALReader.readFile(p)
                var out = [UInt8]()
                for b in batches { for e in b.entries { LogEntryJSON.append(e, to: &out); out.append(0x0A) } }
                FileHandleOutput.write(out)
                if let damage { throw ValidationError("\(damage)") }
                continue
            }
            for seg in try DataDirectoryWalker.segments(at: p) {
                let r = try SegmentReader(path: seg)
                for b in r.index.blocks.indices {
                    let block = try r.decodeBlock(b)
                    var out = [UInt8]()
                    for i in 0..<block.rowCount { LogEntryJSON.append(block.entry(at: i), to: &out); out.append(0x0A) }
                    FileHandleOutput.write(out)
                }
            }
        }
    }
}

/// Unbuffered writes of bytes to standard output.
enum FileHandleOutput {
    static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { p in
            var done = 0
            while done < p.count {
                let n = Glibc.write(1, p.baseAddress! + done, p.count - done)
                if n <= 0 { if errno == EINTR { continue }; return }
                done += n
            }
        }
    }
}

import ArgumentParser
import StrataEngine
import StrataFormat
import StrataIO
#if canImport(Glibc)
import Glibc
#endif

/// `segtool archive DIR --archive-dir A`: moves due partitions to the archive tier (or, with
/// `--restore`, one back) on a data directory no server holds.
struct ArchiveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "archive",
        abstract: "Move partitions older than --after into the archive tier, or --restore one (no server may hold the directory).",
        discussion: """
            The archive directory is itself laid out as a data directory (MANIFEST and \
            partitions/), so `segtool inspect` and `segtool verify` read it directly. Archived \
            partitions stay searchable by `strata query` and the server when they are given the \
            same archive directory.
            """)

    @Argument(help: "The data directory.")
    var directory: String

    @Option(help: "The archive directory (an object store in a local directory).")
    var archiveDir: String

    @Option(help: "Archive partitions whose end is older than this (e.g. 7d, 12h).")
    var after = "7d"

    @Option(help: "Bring this partition back (its start as in partitions/, e.g. 20261129T000000Z).")
    var restore: String?

    @Flag(help: "Print what would be archived.")
    var dryRun = false

    func run() throws {
        guard let afterNanos = DurationText.parseNanos(after) else {
            throw ValidationError("--after: expected a duration such as 7d or 12h, got '\(after)'")
        }
        var options = EngineOptions(dataDirectory: directory)
        var archive = ArchiveOptions(store: try LocalDirectoryStore(root: archiveDir), afterNanos: afterNanos)
        if let at = getenv("STRATA_TEST_KILL_AT_ARCHIVE_STEP").map({ String(cString: $0) }) {
            archive.stepHook = { step in if step.rawValue == at { kill(getpid(), SIGKILL) } }
        }
        options.archive = archive
        guard FileSystem.exists(directory + "/MANIFEST") else {
            throw ValidationError("\(directory): no MANIFEST (not a Strata data directory)")
        }
        let engine = try Engine(options: options, readOnly: dryRun)
        defer { try? engine.close() }
        if let label = restore {
            guard let start = engine.archiveSegments.map(\.partitionStartNanos).first(where: { Timestamp.compactLabel($0) == label }) else {
                throw ValidationError("the archive holds no partition \(label)")
            }
            let back = try engine.restoreArchivedPartition(start)
            print("restored \(label): \(back.count) segments, \(back.reduce(0) { $0 + $1.rowCount }) rows")
            return
        }
        if !dryRun { try engine.flush() }
        let plan = engine.archivePlan()
        if plan.isEmpty { print("nothing to archive") }
        for start in plan where dryRun { print("plan: archive partition \(Timestamp.compactLabel(start))") }
        guard !dryRun else { return }
        for start in plan {
            let r = try engine.archivePartition(start)
            let inBytes = r.inputs.reduce(0) { $0 + $1.sizeInBytes }
            print("archived \(Timestamp.compactLabel(start)): \(r.inputs.count) segments (\(inBytes) bytes) into \(r.output.path) (\(r.output.rowCount) rows, \(r.output.sizeInBytes) bytes) in \(Double(r.nanos / 1_000_000) / 1000) s")
        }
    }
}

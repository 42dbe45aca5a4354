import ArgumentParser
import StrataEngine

/// `strata backup`: a consistent copy of a data directory, taken while the server runs.
struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a data directory consistently while a server may be writing to it.",
        discussion: """
            The backup is a data directory: one manifest generation, its segments (hard links when \
            on the same file system; segments never change) and the WAL files holding the entries \
            not yet in segments. Restore it with `strata restore`, or serve it directly.
            """)

    @OptionGroup var data: DataDirOptions

    @Option(help: "Where to write the backup (a new or empty directory).")
    var to: String

    func run() throws {
        let s = try Backup.create(from: data.dataDir, to: to)
        print("backup \(to): manifest generation \(s.generation), \(s.segments) segments (\(s.segmentBytes) bytes, \(s.linked) hard-linked), \(s.walFiles) WAL files (\(s.walBytes) bytes)\(s.attempts > 1 ? ", after \(s.attempts) attempts" : "")")
    }
}

/// `strata restore`: a backup back into a new data directory.
struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup made by `strata backup` into a new data directory.")

    @Option(help: "The backup directory.")
    var from: String

    @OptionGroup var data: DataDirOptions

    func run() throws {
        let s = try Backup.restore(from: from, to: data.dataDir)
        print("restored \(data.dataDir): manifest generation \(s.generation), \(s.segments) segments, \(s.walFiles) WAL files; start the server on it to replay the WAL")
    }
}

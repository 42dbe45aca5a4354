import ArgumentParser

/// The `segtool` executable: operator tools that work on files directly, without a running engine.
public struct SegtoolCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "segtool",
        abstract: "Inspect, verify, dump and compact Strata segments, WAL files and data directories.",
        subcommands: [InspectCommand.self, VerifyCommand.self, DumpCommand.self, CompactCommand.self, ArchiveCommand.self])

    public init() {}
}

import ArgumentParser

/// The `strata` executable: the log store's command-line entry point.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct StrataCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Strata: a log store with a columnar, compressed, searchable on-disk format.",
        subcommands: [ServeCommand.self, IngestCommand.self, QueryCommand.self, TailCommand.self, BackupCommand.self, RestoreCommand.self, GrokCommand.self])

    public init() {}
}

/// Options shared by commands that open a data directory.
struct DataDirOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory.")
    var dataDir: String = "./strata-data"
}

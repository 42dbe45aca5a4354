import ArgumentParser

/// The `strata` executable: the log store's command-line entry point.
public struct StrataCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "strata",
        abstract: "Strata: a log store with a columnar, compressed, searchable on-disk format.",
        subcommands: [IngestCommand.self, QueryCommand.self])

    public init() {}
}

/// Options shared by commands that open a data directory.
struct DataDirOptions: ParsableArguments {
    @Option(name: .long, help: "Data directory.")
    var dataDir: String = "./strata-data"
}

import StrataFormat
import StrataParse
import StrataQuery

/// One configured pipeline (`pipelines:` entry): which entries it takes (`filter`), how it
/// parses them (`parser`), what it does to them (`processors`, in order) and where they go
/// (`routes`). Multiline settings apply where lines are read (`strata ingest`, the agent).
///
/// Invariant: immutable after construction; stateful stages synchronise themselves, so one
/// pipeline may process batches from several threads.
public final class Pipeline: Sendable {
    public let name: String
    /// Which entries the pipeline takes when several are configured; nil takes all.
    public let filter: EntryFilter?
    public let parser: ParserStage?
    public let stages: [any PipelineStage]
    public let router: PipelineRouter
    public let multiline: MultilineSpec?

    init(name: String, filter: EntryFilter?, parser: ParserStage?, stages: [any PipelineStage], router: PipelineRouter, multiline: MultilineSpec?) {
        self.name = name
        self.filter = filter
        self.parser = parser
        self.stages = stages
        self.router = router
        self.multiline = multiline
    }

    /// Runs the parser and processors over `entries`, then routes what is left.
    public func process(_ entries: [LogEntry], now: Int64) -> [(output: String, entries: [LogEntry])] {
        let (kept, destinations) = processEach(entries, now: now)
        return PipelineRouter.group(kept, destinations)
    }

    /// The entries left after the parser and processors, each with the outputs it goes to.
    public func processEach(_ entries: [LogEntry], now: Int64) -> (entries: [LogEntry], destinations: [[String]]) {
        var batch = entries
        parser?.process(&batch, now: now)
        for s in stages where !batch.isEmpty || s is AggregateStage { s.process(&batch, now: now) }
        return batch.isEmpty ? ([], []) : (batch, router.destinations(batch))
    }

    /// The aggregate stages (their samples feed `/metrics`).
    public var aggregates: [AggregateStage] { stages.compactMap { $0 as? AggregateStage } }
}

/// Multiline joining for line readers: lines are joined into one entry per the rule of
/// `MultilineJoiner`.
public struct MultilineSpec: Sendable {
    public let pattern: PCRERegexBox
    public let options: MultilineOptions

    /// A joiner for one input stream.
    public func makeJoiner() -> MultilineJoiner {
        let regex = pattern.regex
        return MultilineJoiner(options: options, matches: { regex.matches($0) })
    }
}

/// A compiled regex held for a `Sendable` struct.
public struct PCRERegexBox: Sendable {
    public let regex: PCRERegex
}

import StrataFormat
import StrataParse
import StrataQuery
import Yams

/// The pipelines and outputs of a configuration file (`pipelines:` and `outputs:` of
/// `strata.yaml`, blueprint §10.2).
///
/// Each entry is handled by the first pipeline whose `filter` matches it (a pipeline without a
/// filter takes everything); an entry no pipeline takes goes to the store unchanged. Relative
/// file paths (pattern directories, lookup tables, GeoIP databases, rules) resolve against
/// `baseDirectory` (the configuration file's directory).
///
/// Invariant: every name an output list mentions exists (`store` always does), checked when
/// the set is built.
public struct PipelineSet: Sendable, Equatable {
    public let pipelines: [Pipeline]
    public let outputs: [String: OutputSpec]

    /// No pipelines: everything goes to the store.
    public static let empty = PipelineSet(pipelines: [], outputs: ["store": OutputSpec(name: "store", kind: .store)])

    init(pipelines: [Pipeline], outputs: [String: OutputSpec]) {
        self.pipelines = pipelines
        self.outputs = outputs
    }

    /// Reads the `pipelines:`/`outputs:` keys of a YAML document (other keys are ignored).
    public static func load(yaml text: String, path: String, baseDirectory: String) throws(PipelineConfigError) -> PipelineSet {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw PipelineConfigError.failed(path: path, reason: "not valid YAML: \(error)") }
        guard let node else { return .empty }
        return try PipelineSet(config: ConfigValue(node), baseDirectory: baseDirectory)
    }

    /// Builds from a configuration tree holding `pipelines` and optionally `outputs`.
    public init(config: ConfigValue, baseDirectory: String) throws(PipelineConfigError) {
        var outputs: [String: OutputSpec] = ["store": OutputSpec(name: "store", kind: .store), "stdout": OutputSpec(name: "stdout", kind: .stdout)]
        if let o = config["outputs"] {
            guard case .list(let items) = o else { throw PipelineConfigError.invalid(path: "outputs", expected: "a list of outputs") }
            for (i, item) in items.enumerated() {
                let spec = try PipelineBuilder.output(ConfigReader(value: item, path: "outputs[\(i)]"))
                outputs[spec.name] = spec
            }
        }
        var pipelines: [Pipeline] = []
        if let p = config["pipelines"] {
            guard case .list(let items) = p else { throw PipelineConfigError.invalid(path: "pipelines", expected: "a list of pipelines") }
            let builder = PipelineBuilder(baseDirectory: baseDirectory, outputs: outputs)
            var names: Set<String> = []
            for (i, item) in items.enumerated() {
                let pipeline = try builder.pipeline(ConfigReader(value: item, path: "pipelines[\(i)]"))
                guard names.insert(pipeline.name).inserted else { throw PipelineConfigError.invalid(path: "pipelines[\(i)].name", expected: "a unique name; '\(pipeline.name)' is used twice") }
                pipelines.append(pipeline)
            }
        }
        self.pipelines = pipelines
        self.outputs = outputs
    }

    /// Two sets are equal when they hold the same pipeline objects and outputs.
    public static func == (a: PipelineSet, b: PipelineSet) -> Bool {
        a.outputs == b.outputs && a.pipelines.count == b.pipelines.count && zip(a.pipelines, b.pipelines).allSatisfy { $0 === $1 }
    }

    /// The pipeline called `name`.
    public func pipeline(named name: String) -> Pipeline? { pipelines.first { $0.name == name } }

    /// Runs every entry through the first pipeline that takes it; returns the batches per output.
    public func process(_ entries: [LogEntry], now: Int64) -> [(output: String, entries: [LogEntry])] {
        let (kept, destinations) = processEach(entries, now: now)
        return PipelineRouter.group(kept, destinations)
    }

    /// Every entry through the first pipeline that takes it (entries no pipeline takes go to the
    /// store unchanged); the entries kept, each with its outputs.
    public func processEach(_ entries: [LogEntry], now: Int64) -> (entries: [LogEntry], destinations: [[String]]) {
        guard !pipelines.isEmpty else { return (entries, Array(repeating: ["store"], count: entries.count)) }
        var assigned = [[LogEntry]](repeating: [], count: pipelines.count)
        var unassigned: [LogEntry] = []
        let masks = pipelines.map { $0.filter?.matchMask(entries) }
        for (i, e) in entries.enumerated() {
            if let p = masks.indices.first(where: { masks[$0]?[i] ?? true }) { assigned[p].append(e) } else { unassigned.append(e) }
        }
        var kept: [LogEntry] = []
        var destinations: [[String]] = []
        for (p, batch) in assigned.enumerated() {
            // Aggregates see time pass even when a pipeline gets nothing.
            let r = pipelines[p].processEach(batch, now: now)
            kept += r.entries
            destinations += r.destinations
        }
        kept += unassigned
        destinations += Array(repeating: ["store"], count: unassigned.count)
        return (kept, destinations)
    }

    /// All aggregate stages, with their pipeline's name.
    public var aggregates: [(pipeline: String, stage: AggregateStage)] {
        pipelines.flatMap { p in p.aggregates.map { (p.name, $0) } }
    }
}


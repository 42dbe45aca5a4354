import StrataFormat
import StrataQuery

/// Where a pipeline's entries go: `store` (the local store), a named `stream` (stored, with the
/// field `stream` set to its name, so `stream:NAME` finds it), `http` (forwarded as NDJSON to
/// another Strata's `POST /api/logs`) or `stdout` (one JSON object a line).
public struct OutputSpec: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case store
        case stream(String)
        case http(host: String, port: Int, path: String)
        case stdout
    }
    public let name: String
    public let kind: Kind
}

/// `routes:` — ordered rules, each a condition (`query`, or the shortcuts `level`, `service`,
/// `host`) and the outputs its entries go to; `continue: true` lets an entry fall through to
/// later rules too. An entry no rule takes goes to the `default` outputs (the store when
/// unset).
///
/// Invariants: every entry goes to at least one output unless a rule lists none (an explicit
/// discard); within each output the entries keep their order; an entry reaches an output at
/// most once.
public struct PipelineRouter: Sendable {
    struct Rule: Sendable {
        let filter: EntryFilter
        let outputs: [String]
        let continueAfter: Bool
    }
    let rules: [Rule]
    let defaultOutputs: [String]

    /// A router sending everything to the store.
    public static let storeOnly = PipelineRouter(rules: [], defaultOutputs: ["store"])

    init(rules: [Rule], defaultOutputs: [String]) {
        self.rules = rules
        self.defaultOutputs = defaultOutputs
    }

    /// Splits `entries` by output name.
    public func route(_ entries: [LogEntry]) -> [(output: String, entries: [LogEntry])] {
        PipelineRouter.group(entries, destinations(entries))
    }

    /// For each entry, the outputs it goes to (each once, in rule order).
    public func destinations(_ entries: [LogEntry]) -> [[String]] {
        if rules.isEmpty { return Array(repeating: defaultOutputs, count: entries.count) }
        let masks = rules.map { $0.filter.matchMask(entries) }
        var out: [[String]] = []
        out.reserveCapacity(entries.count)
        for i in entries.indices {
            var taken = false
            var sent: [String] = []
            for (r, rule) in rules.enumerated() where masks[r][i] {
                taken = true
                for o in rule.outputs where !sent.contains(o) { sent.append(o) }
                if !rule.continueAfter { break }
            }
            if !taken { for o in defaultOutputs where !sent.contains(o) { sent.append(o) } }
            out.append(sent)
        }
        return out
    }

    /// Groups entries by output, outputs in first-use order, entries in their order.
    static func group(_ entries: [LogEntry], _ destinations: [[String]]) -> [(output: String, entries: [LogEntry])] {
        var byOutput: [String: [LogEntry]] = [:]
        var order: [String] = []
        for (e, outs) in zip(entries, destinations) {
            for o in outs {
                if byOutput[o] == nil { order.append(o) }
                byOutput[o, default: []].append(e)
            }
        }
        return order.map { ($0, byOutput[$0]!) }
    }
}

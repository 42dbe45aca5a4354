import StrataFormat
import StrataSegment

/// A query's filter applied to entries in memory — the same compiled predicate and block
/// matcher as a search, over a block built from the entries — for live tail. Stages
/// (`| stats`, `| sort`, …) are refused: a tail streams entries, it does not aggregate.
public struct EntryFilter: Sendable {
    let matcher: BlockMatcher
    public let matchesEverything: Bool

    public init(query text: String) throws(QuerySyntaxError) {
        let q = try Query.parse(text)
        guard q.stages.isEmpty else {
            throw QuerySyntaxError(position: text.firstIndex(of: "|").map { text.distance(from: text.startIndex, to: $0) } ?? 0,
                                   message: "a tail takes a filter only, without '|' stages")
        }
        matcher = BlockMatcher(root: try CompiledNode.compile(q.filter))
        if case .all = q.filter { matchesEverything = true } else { matchesEverything = false }
    }

    /// For each entry, whether it matches.
    public func matchMask(_ entries: [LogEntry]) -> [Bool] {
        if matchesEverything { return [Bool](repeating: true, count: entries.count) }
        var mask = [Bool](repeating: false, count: entries.count)
        guard !entries.isEmpty, let sel = try? matcher.evaluate(DecodedBlock(entries: entries)) else { return mask }
        sel.forEach { mask[$0] = true }
        return mask
    }

    /// The entries that match, in their order.
    public func filter(_ entries: [LogEntry]) -> [LogEntry] {
        if matchesEverything || entries.isEmpty { return entries }
        let block = DecodedBlock(entries: entries)
        guard let sel = try? matcher.evaluate(block) else { return [] }   // in-memory blocks cannot be damaged
        var out = [LogEntry]()
        sel.forEach { out.append(entries[$0]) }
        return out
    }
}

/// The parsed form of a query string.
public indirect enum QueryNode: Equatable, Sendable {
    /// Matches every entry (`*` or an empty query).
    case all
    case and([QueryNode])
    case or([QueryNode])
    case not(QueryNode)
    /// `value` (field nil: full text on the message) or `field:value`; `*` in value is a wildcard.
    case term(field: String?, value: String)
    /// `"a b c"` or `field:"a b c"`: the words in order.
    case phrase(field: String?, text: String)
}

/// A query that could not be parsed: where and what was expected.
public struct QuerySyntaxError: Error, CustomStringConvertible, Equatable, Sendable {
    /// 0-based character position in the query string.
    public var position: Int
    public var message: String
    public var description: String { "query syntax error at position \(position): \(message)" }
}

/// The filter part of a query: a boolean tree of leaf predicates.
///
/// Invariants: `and`/`or` hold at least two children; field names are as written (matched
/// case-insensitively for the system names `message level service host source tags id`,
/// byte-exactly for field keys); term values carry no escapes.
public indirect enum QueryNode: Equatable, Sendable {
    /// Matches every entry (`*` or an empty query).
    case all
    case and([QueryNode])
    case or([QueryNode])
    case not(QueryNode)
    /// `value` (field nil: full text on the message) or `field:value`.
    case term(field: String?, value: String)
    /// A term with unescaped `*` / `?`: `pattern` keeps `\` escapes for literal `*`, `?`, `\`.
    case wildcard(field: String?, pattern: String)
    /// `"a b c"` or `field:"a b c"`: the words in order (message), or the exact value (fields).
    case phrase(field: String?, text: String)
    /// `/re/` or `field:/re/`: the regex matches a whole message token or a whole value.
    case regex(field: String?, pattern: String)
    /// `field:[a TO b]`, `field:{a TO b}`, `field:>a`, …; a nil bound is open.
    case range(field: String, lower: RangeBound?, upper: RangeBound?)
    /// `_exists_:field` (or `field:*`): the entry has the field.
    case exists(field: String)
}

/// One end of a range: the bound's text and whether the bound itself is included.
public struct RangeBound: Equatable, Sendable {
    public var value: String
    public var inclusive: Bool
    public init(_ value: String, inclusive: Bool) {
        self.value = value
        self.inclusive = inclusive
    }
}

/// A query that could not be parsed: where and what was expected.
public struct QuerySyntaxError: Error, CustomStringConvertible, Equatable, Sendable {
    /// 0-based character (Unicode scalar) position in the query string.
    public var position: Int
    public var message: String
    public init(position: Int, message: String) {
        self.position = position
        self.message = message
    }
    public var description: String { "query syntax error at position \(position): \(message)" }
}

extension QueryNode: CustomStringConvertible {
    /// The node in query syntax, fully parenthesised (used by `--explain`).
    public var description: String {
        func f(_ field: String?) -> String { field.map { "\($0):" } ?? "" }
        switch self {
        case .all: return "*"
        case .and(let xs): return "(" + xs.map(\.description).joined(separator: " AND ") + ")"
        case .or(let xs): return "(" + xs.map(\.description).joined(separator: " OR ") + ")"
        case .not(let x): return "NOT \(x)"
        case .term(let field, let v): return f(field) + v
        case .wildcard(let field, let p): return f(field) + p
        case .phrase(let field, let t): return f(field) + "\"\(t)\""
        case .regex(let field, let p): return f(field) + "/\(p)/"
        case .range(let field, let lo, let hi):
            return "\(field):\(lo?.inclusive == false ? "{" : "[")\(lo?.value ?? "*") TO \(hi?.value ?? "*")\(hi?.inclusive == false ? "}" : "]")"
        case .exists(let field): return "_exists_:\(field)"
        }
    }
}

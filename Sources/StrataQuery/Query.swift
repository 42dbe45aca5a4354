/// A whole query: the filter and the pipe stages after it (`filter | stats … | sort … | limit N`).
///
/// Invariants (checked by the parser): `stats` appears at most once and only as the first
/// stage; `sort` and `fields` after `stats` name output columns of that `stats`.
public struct Query: Equatable, Sendable {
    public var filter: QueryNode
    public var stages: [QueryStage]

    public init(filter: QueryNode, stages: [QueryStage] = []) {
        self.filter = filter
        self.stages = stages
    }

    /// Parses the query language of `docs/query-language.md`.
    public static func parse(_ text: String) throws(QuerySyntaxError) -> Query {
        try QueryParser.parseQuery(text)
    }

    /// The `stats` stage, if the query aggregates.
    public var stats: StatsStage? {
        if case .stats(let s)? = stages.first { return s }
        return nil
    }
}

/// One stage after a `|`.
public enum QueryStage: Equatable, Sendable {
    case stats(StatsStage)
    case sort([SortKey])
    case limit(Int)
    case fields([String])
}

/// `stats agg, agg … [by key, key …]`.
public struct StatsStage: Equatable, Sendable {
    public var aggregates: [Aggregate]
    public var groups: [GroupKey]

    public init(aggregates: [Aggregate], groups: [GroupKey]) {
        self.aggregates = aggregates
        self.groups = groups
    }

    /// Whether some group key is a time bucket (the rows' times are then needed).
    public var groupsByTime: Bool { groups.contains { if case .bucket = $0 { true } else { false } } }

    /// Output column names: the groups' names, then the aggregates'.
    public var columnNames: [String] { groups.map(\.name) + aggregates.map(\.name) }
}

/// An aggregate function call such as `count()`, `avg(duration_ms)`, `p99(latency)`.
public struct Aggregate: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case count, sum, avg, min, max, countDistinct
        /// The pN percentile, 0 < N ≤ 100.
        case percentile(Double)
    }
    public var kind: Kind
    /// The argument; nil only for `count()`.
    public var field: String?
    /// The output column name: the alias (`as x`) or the call as written, normalised
    /// (`count()`, `avg(duration_ms)`).
    public var name: String

    public init(kind: Kind, field: String?, name: String) {
        self.kind = kind
        self.field = field
        self.name = name
    }
}

/// A `by` key: a field (system name or field key) or a time bucket.
public enum GroupKey: Equatable, Sendable {
    case field(String)
    /// `bucket(5m)`: start of the bucket of width `nanos`, aligned to the Unix epoch.
    case bucket(nanos: Int64, text: String)

    /// The output column name (`service`, `bucket(5m)`).
    public var name: String {
        switch self {
        case .field(let f): f
        case .bucket(_, let text): "bucket(\(text))"
        }
    }
}

/// `sort name [asc|desc]`.
public struct SortKey: Equatable, Sendable {
    public var name: String
    public var descending: Bool
    public init(name: String, descending: Bool) {
        self.name = name
        self.descending = descending
    }
}

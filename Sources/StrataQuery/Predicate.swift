import StrataFormat

/// What a field name in a query refers to. System names are matched case-insensitively;
/// anything else is a field key, matched byte for byte.
public enum FieldTarget: Equatable, Hashable, Sendable {
    case message, level, service, host, source, tags, id, field(String)

    public init(_ name: String?) {
        guard let name else { self = .message; return }
        switch name.lowercased() {
        case "message", "msg", "_msg": self = .message
        case "level", "severity": self = .level
        case "service": self = .service
        case "host": self = .host
        case "source": self = .source
        case "tags", "tag": self = .tags
        case "id", "_id": self = .id
        default: self = .field(name)
        }
    }
}

/// A test on one byte-string value (service, host, source, a tag, an id's hex text, a level's
/// name, a field's text).
public enum StringTest: Sendable {
    case equals([UInt8])
    case glob(Glob)
    case regex(RegexMatcher)
    case range(lower: ([UInt8], Bool)?, upper: ([UInt8], Bool)?)
    case nonEmpty

    public func test<C: Collection>(_ v: C) -> Bool where C.Element == UInt8, C.Index == Int {
        switch self {
        case .equals(let b): return v.elementsEqual(b)
        case .glob(let g): return g.matches(v)
        case .regex(let r): return r.matches(v)
        case .nonEmpty: return !v.isEmpty
        case .range(let lo, let hi):
            if let (b, inc) = lo {
                let c = Self.compare(v, b)
                if c < 0 || (c == 0 && !inc) { return false }
            }
            if let (b, inc) = hi {
                let c = Self.compare(v, b)
                if c > 0 || (c == 0 && !inc) { return false }
            }
            return true
        }
    }

    /// Unsigned bytewise comparison; a proper prefix sorts first.
    static func compare<C: Collection>(_ a: C, _ b: [UInt8]) -> Int where C.Element == UInt8, C.Index == Int {
        var i = a.startIndex, j = 0
        while i < a.endIndex && j < b.count {
            if a[i] != b[j] { return a[i] < b[j] ? -1 : 1 }
            i += 1; j += 1
        }
        let la = a.count, lb = b.count
        return la == lb ? 0 : (la < lb ? -1 : 1)
    }
}

/// A test on a dynamic field's value (nil when the row lacks the field).
public enum FieldTest: Sendable {
    /// Equality: strings by bytes, numbers numerically, bools by `true`/`false`.
    case term(text: String, int: Int64?, double: Double?, bool: Bool?)
    /// Wildcard or regex on the value's text (`FieldValue.text`).
    case text(StringTest)
    /// Numeric bounds apply to int/float values, text bounds to string values.
    case range(lower: RangeBound?, upper: RangeBound?)
    case exists

    public func test(_ v: FieldValue?) -> Bool {
        guard let v else { return false }
        switch self {
        case .exists: return true
        case .term(let text, let int, let double, let bool):
            switch v {
            case .int(let x):
                if let int { return x == int }
                if let double { return Double(x) == double }
                return false
            case .float(let x): return double.map { x == $0 } ?? false
            case .bool(let x): return bool.map { x == $0 } ?? false
            case .string(let s), .json(let s): return s.utf8.elementsEqual(text.utf8)
            }
        case .text(let t):
            return t.test(Array(v.text.utf8))
        case .range(let lo, let hi):
            return Self.inRange(v, lo, hi)
        }
    }

    static func inRange(_ v: FieldValue, _ lo: RangeBound?, _ hi: RangeBound?) -> Bool {
        for (bound, isLower) in [(lo, true), (hi, false)] {
            guard let bound else { continue }
            let c: Int
            if let d = Double(bound.value) {
                switch v {
                case .int(let x): c = compareNumbers(x, d)
                case .float(let x): c = x < d ? -1 : (x > d ? 1 : 0); if x.isNaN { return false }
                default: return false
                }
            } else {
                guard case .string(let s) = v else { return false }
                c = StringTest.compare(Array(s.utf8), Array(bound.value.utf8))
            }
            if isLower && (c < 0 || (c == 0 && !bound.inclusive)) { return false }
            if !isLower && (c > 0 || (c == 0 && !bound.inclusive)) { return false }
        }
        return true
    }

    /// Exact comparison of an Int64 with a Double (no rounding of large integers).
    static func compareNumbers(_ x: Int64, _ d: Double) -> Int {
        if d.isNaN { return 1 }
        if d >= 9.223372036854775807e18 { return -1 }
        if d < -9.223372036854775807e18 { return 1 }
        let t = d.rounded(.towardZero)
        let ti = Int64(t)
        if x != ti { return x < ti ? -1 : 1 }
        let frac = d - t
        return frac > 0 ? -1 : (frac < 0 ? 1 : 0)
    }

    static func termTest(_ value: String) -> FieldTest {
        let lower = value.lowercased()
        return .term(text: value, int: Int64(value), double: Double(value),
                     bool: lower == "true" ? true : (lower == "false" ? false : nil))
    }
}

/// The compiled form of a query tree: globs and regexes built once, field names resolved.
public indirect enum CompiledNode: Sendable {
    case all
    case none
    case and([CompiledNode])
    case or([CompiledNode])
    case not(CompiledNode)
    /// Message full text: the tokens in this order, contiguous.
    case messageTokens([[UInt8]])
    /// Message full text: any one token satisfies the test (wildcard, regex).
    case messageToken(StringTest)
    case messageNonEmpty
    /// Level: allowed raw values (index = `LogLevel.rawValue`).
    case level([Bool])
    case service(StringTest)
    case host(StringTest)
    case source(StringTest)
    /// Any one tag satisfies the test.
    case tag(StringTest)
    case id(StringTest)
    case field(String, FieldTest)

    /// Whether some leaf matches message tokens (term or phrase): only then do block filters
    /// help decide rows from templates.
    var usesMessageTokens: Bool {
        switch self {
        case .messageTokens: return true
        case .and(let xs), .or(let xs): return xs.contains { $0.usesMessageTokens }
        case .not(let x): return x.usesMessageTokens
        default: return false
        }
    }

    /// Compiles `node`. Throws for regexes that do not compile.
    public static func compile(_ node: QueryNode) throws(QuerySyntaxError) -> CompiledNode {
        switch node {
        case .all: return .all
        case .and(let xs):
            var out = [CompiledNode]()
            for x in xs { out.append(try compile(x)) }
            // Cheapest first: each child only looks at the rows its predecessors kept.
            return .and(out.enumerated().sorted { ($0.element.cost, $0.offset) < ($1.element.cost, $1.offset) }.map(\.element))
        case .or(let xs):
            var out = [CompiledNode]()
            for x in xs { out.append(try compile(x)) }
            return .or(out)
        case .not(let x): return .not(try compile(x))
        case .exists(let f):
            switch FieldTarget(f) {
            case .message: return .messageNonEmpty
            case .level: return .level(LogLevel.allCases.map { $0 != .unknown })
            case .service: return .service(.nonEmpty)
            case .host: return .host(.nonEmpty)
            case .source: return .source(.nonEmpty)
            case .tags: return .tag(.glob(Glob("*", caseInsensitive: false)))
            case .id: return .all
            case .field(let k): return .field(k, .exists)
            }
        case .term(let f, let v), .phrase(let f, let v):
            let target = FieldTarget(f)
            switch target {
            case .message:
                let toks = Tokenizer.tokens(v)
                return toks.isEmpty ? .none : .messageTokens(toks)
            case .level:
                let want = LogLevel.normalise(v)
                return .level(LogLevel.allCases.map { $0 == want })
            case .field(let k): return .field(k, FieldTest.termTest(v))
            case .id: return .id(.equals(Array(v.utf8)))
            default: return stringLeaf(target, .equals(Array(v.utf8)))
            }
        case .wildcard(let f, let p):
            let target = FieldTarget(f)
            switch target {
            case .message: return .messageToken(.glob(Glob(p, caseInsensitive: true)))
            case .level:
                let g = Glob(p, caseInsensitive: true)
                return .level(LogLevel.allCases.map { $0 != .unknown && g.matches($0.description) })
            case .field(let k): return .field(k, .text(.glob(Glob(p, caseInsensitive: false))))
            case .id: return .id(.glob(Glob(p, caseInsensitive: true)))
            default: return stringLeaf(target, .glob(Glob(p, caseInsensitive: false)))
            }
        case .regex(let f, let p):
            let target = FieldTarget(f)
            switch target {
            case .message: return .messageToken(.regex(try RegexMatcher(p, caseInsensitive: true)))
            case .level:
                let r = try RegexMatcher(p, caseInsensitive: true)
                return .level(LogLevel.allCases.map { $0 != .unknown && r.matches($0.description) })
            case .field(let k): return .field(k, .text(.regex(try RegexMatcher(p, caseInsensitive: false))))
            case .id: return .id(.regex(try RegexMatcher(p, caseInsensitive: true)))
            default: return stringLeaf(target, .regex(try RegexMatcher(p, caseInsensitive: false)))
            }
        case .range(let f, let lo, let hi):
            let target = FieldTarget(f)
            switch target {
            case .message: return .none
            case .level:
                let l = lo.map { (LogLevel.normalise($0.value), $0.inclusive) }
                let h = hi.map { (LogLevel.normalise($0.value), $0.inclusive) }
                if l?.0 == nil && lo != nil || h?.0 == nil && hi != nil { return .none }
                return .level(LogLevel.allCases.map { lv in
                    if let (b, inc) = l, let b, lv < b || (lv == b && !inc) { return false }
                    if let (b, inc) = h, let b, lv > b || (lv == b && !inc) { return false }
                    return true
                })
            case .field(let k): return .field(k, .range(lower: lo, upper: hi))
            case .id:
                return .id(.range(lower: lo.map { (Array($0.value.utf8), $0.inclusive) },
                                  upper: hi.map { (Array($0.value.utf8), $0.inclusive) }))
            default:
                return stringLeaf(target, .range(lower: lo.map { (Array($0.value.utf8), $0.inclusive) },
                                                 upper: hi.map { (Array($0.value.utf8), $0.inclusive) }))
            }
        }
    }

    /// A rough per-row cost used to order AND children: keyword codes and ids first, then field
    /// values, then full text (templates, maybe rendering), then wildcard/regex on tokens.
    var cost: Int {
        switch self {
        case .all, .none: return 0
        case .level, .service, .host, .source, .id: return 1
        case .tag, .field(_, .term), .field(_, .exists), .field(_, .range): return 2
        case .field: return 3
        case .messageNonEmpty, .messageTokens: return 4
        case .messageToken: return 6
        case .not(let x): return x.cost + 1
        case .and(let xs), .or(let xs): return (xs.map(\.cost).max() ?? 0) + 1
        }
    }

    private static func stringLeaf(_ t: FieldTarget, _ test: StringTest) -> CompiledNode {
        switch t {
        case .service: .service(test)
        case .host: .host(test)
        case .source: .source(test)
        case .tags: .tag(test)
        default: .none
        }
    }
}

/// Parses the filter part of the query language (`docs/query-language.md`).
///
/// Precedence: `NOT`/`-` binds tightest, then `AND` (explicit or implicit, by juxtaposition),
/// then `OR`. Keywords are case-insensitive. The filter ends at the end of the text or at a `|`
/// outside quotes, regexes and ranges; the stages after it are parsed by `StageParser`.
/// Every error names the 0-based character position and what was expected there.
public struct QueryParser {
    enum Token: Equatable {
        case leaf(QueryNode)
        case lparen, rparen, and, or, not
    }

    private var tokens: [(Token, Int)] = []
    private var index = 0
    private var endPosition = 0

    /// Parses a filter with no stages (a `|` is an error).
    public static func parse(_ text: String) throws(QuerySyntaxError) -> QueryNode {
        let q = try parseQuery(text)
        if !q.stages.isEmpty {
            throw QuerySyntaxError(position: 0, message: "pipe stages are not allowed here")
        }
        return q.filter
    }

    /// Parses a whole query: the filter, then `| stage` parts.
    static func parseQuery(_ text: String) throws(QuerySyntaxError) -> Query {
        let chars = Array(text.unicodeScalars)
        var lexer = Lexer(chars: chars)
        let (tokens, pipeAt) = try lexer.lexFilter()
        var p = QueryParser()
        p.tokens = tokens
        p.endPosition = pipeAt ?? chars.count
        var filter = QueryNode.all
        if !tokens.isEmpty {
            filter = try p.parseOr()
            if p.index < p.tokens.count {
                throw QuerySyntaxError(position: p.tokens[p.index].1,
                                       message: "unexpected \(p.describe(p.tokens[p.index].0)), expected an operator, '|' or the end of the query")
            }
        }
        var stages = [QueryStage]()
        if let pipeAt {
            var sp = StageParser(chars: chars, start: pipeAt)
            stages = try sp.parseStages()
        }
        return Query(filter: filter, stages: stages)
    }

    private func describe(_ t: Token) -> String {
        switch t {
        case .leaf(let n): "term \(n)"
        case .lparen: "'('"
        case .rparen: "')'"
        case .and: "AND"
        case .or: "OR"
        case .not: "NOT"
        }
    }

    private mutating func parseOr() throws(QuerySyntaxError) -> QueryNode {
        var parts = [try parseAnd()]
        while index < tokens.count, tokens[index].0 == .or {
            index += 1
            parts.append(try parseAnd())
        }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    private mutating func parseAnd() throws(QuerySyntaxError) -> QueryNode {
        var parts = [try parseUnary()]
        while index < tokens.count {
            let t = tokens[index].0
            if t == .or || t == .rparen { break }
            if t == .and { index += 1 }
            parts.append(try parseUnary())
        }
        // `*` inside a conjunction adds nothing.
        let kept = parts.filter { $0 != .all }
        if kept.isEmpty { return .all }
        return kept.count == 1 ? kept[0] : .and(kept)
    }

    private mutating func parseUnary() throws(QuerySyntaxError) -> QueryNode {
        guard index < tokens.count else {
            throw QuerySyntaxError(position: endPosition, message: "expected a term, phrase or '(' but the query ended")
        }
        let (t, pos) = tokens[index]
        switch t {
        case .not:
            index += 1
            return .not(try parseUnary())
        case .lparen:
            index += 1
            let inner = try parseOr()
            guard index < tokens.count, tokens[index].0 == .rparen else {
                throw QuerySyntaxError(position: index < tokens.count ? tokens[index].1 : endPosition,
                                       message: "expected ')' to close '(' at position \(pos)")
            }
            index += 1
            return inner
        case .leaf(let n):
            index += 1
            return n
        case .rparen, .and, .or:
            throw QuerySyntaxError(position: pos, message: "unexpected \(describe(t)), expected a term, phrase or '('")
        }
    }
}

/// Splits the filter text into tokens; leaves (terms, phrases, field queries, ranges, regexes)
/// are built here because their forms are lexical.
struct Lexer {
    let chars: [Unicode.Scalar]
    var i = 0

    init(chars: [Unicode.Scalar]) { self.chars = chars }

    static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }
    static func endsWord(_ c: Unicode.Scalar) -> Bool { isSpace(c) || c == "(" || c == ")" || c == "|" }
    /// Whether `c` can begin what a prefix `-`, `!` or `+` applies to.
    static func startsOperand(_ c: Unicode.Scalar) -> Bool {
        !isSpace(c) && c != ")" && c != "|" && c != "-" && c != "!" && c != "+"
    }

    /// The tokens and, if the filter ended at a `|`, the pipe's position.
    mutating func lexFilter() throws(QuerySyntaxError) -> ([(QueryParser.Token, Int)], Int?) {
        var out = [(QueryParser.Token, Int)]()
        while i < chars.count {
            let c = chars[i]
            if Self.isSpace(c) { i += 1; continue }
            let start = i
            switch c {
            case "|": return (out, i)
            case "(": out.append((.lparen, i)); i += 1; continue
            case ")": out.append((.rparen, i)); i += 1; continue
            case "-", "!", "+":
                // A prefix operator when a term or group follows directly; `--`, `-` alone are terms.
                if i + 1 < chars.count, Self.startsOperand(chars[i + 1]) {
                    if c != "+" { out.append((.not, i)) }
                    i += 1
                    continue
                }
            case "\"":
                out.append((.leaf(.phrase(field: nil, text: try readQuoted())), start)); continue
            case "/":
                out.append((.leaf(.regex(field: nil, pattern: try readRegex())), start)); continue
            default: break
            }
            // A word, possibly `field:value`.
            let (word, escaped, wild) = readWord(stopAtColon: true)
            if i < chars.count, chars[i] == ":", !word.isEmpty {
                i += 1
                out.append((.leaf(try readFieldValue(field: word, fieldAt: start)), start))
                continue
            }
            if word.isEmpty {
                // A lone ':' or similar.
                throw QuerySyntaxError(position: start, message: "unexpected '\(chars[start])', expected a term")
            }
            if !escaped {
                switch word.uppercased() {
                case "AND": out.append((.and, start)); continue
                case "OR": out.append((.or, start)); continue
                case "NOT": out.append((.not, start)); continue
                case "*": out.append((.leaf(.all), start)); continue
                default: break
                }
            }
            out.append((.leaf(wild ? .wildcard(field: nil, pattern: word) : .term(field: nil, value: unescape(word))), start))
        }
        return (out, nil)
    }

    /// Reads a bare word. Returns the text with escapes kept (`\x` stays two characters),
    /// whether any escape was seen, and whether an unescaped `*` or `?` occurs.
    mutating func readWord(stopAtColon: Bool) -> (String, Bool, Bool) {
        var s = String.UnicodeScalarView()
        var escaped = false, wild = false
        while i < chars.count {
            let d = chars[i]
            if Self.endsWord(d) { break }
            if d == ":" && stopAtColon { break }
            if d == "\\" && i + 1 < chars.count {
                s.append(d); s.append(chars[i + 1]); i += 2; escaped = true; continue
            }
            if d == "*" || d == "?" { wild = true }
            s.append(d); i += 1
        }
        return (String(s), escaped, wild)
    }

    /// Removes escapes: `\x` → `x`.
    func unescape(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var esc = false
        for c in s.unicodeScalars {
            if esc { out.append(c); esc = false } else if c == "\\" { esc = true } else { out.append(c) }
        }
        return String(out)
    }

    mutating func readQuoted() throws(QuerySyntaxError) -> String {
        let start = i
        var s = String.UnicodeScalarView()
        i += 1
        while i < chars.count {
            if chars[i] == "\\" && i + 1 < chars.count { s.append(chars[i + 1]); i += 2; continue }
            if chars[i] == "\"" { i += 1; return String(s) }
            s.append(chars[i]); i += 1
        }
        throw QuerySyntaxError(position: start, message: "unterminated phrase, expected '\"'")
    }

    mutating func readRegex() throws(QuerySyntaxError) -> String {
        let start = i
        var s = String.UnicodeScalarView()
        i += 1
        while i < chars.count {
            if chars[i] == "\\" && i + 1 < chars.count {
                // `\/` is a slash; other escapes belong to the regex.
                if chars[i + 1] != "/" { s.append(chars[i]) }
                s.append(chars[i + 1]); i += 2; continue
            }
            if chars[i] == "/" {
                i += 1
                let pattern = String(s)
                try RegexMatcher.validate(pattern, at: start)
                return pattern
            }
            s.append(chars[i]); i += 1
        }
        throw QuerySyntaxError(position: start, message: "unterminated regular expression, expected '/'")
    }

    /// After `field:`: a phrase, regex, range, comparison, `*` or a word.
    mutating func readFieldValue(field: String, fieldAt: Int) throws(QuerySyntaxError) -> QueryNode {
        let name = unescape(field)
        guard i < chars.count, !Self.endsWord(chars[i]) else {
            throw QuerySyntaxError(position: i, message: "expected a value after '\(name):'")
        }
        let c = chars[i]
        if name == "_exists_" {
            let (w, _, _) = readWord(stopAtColon: false)
            return .exists(field: unescape(w))
        }
        switch c {
        case "\"": return .phrase(field: name, text: try readQuoted())
        case "/": return .regex(field: name, pattern: try readRegex())
        case "[", "{": return try readRange(field: name)
        case ">", "<":
            i += 1
            var inclusive = false
            if i < chars.count, chars[i] == "=" { inclusive = true; i += 1 }
            let (w, _, _) = readWord(stopAtColon: false)
            guard !w.isEmpty else { throw QuerySyntaxError(position: i, message: "expected a value after '\(c)\(inclusive ? "=" : "")'") }
            let bound = RangeBound(unescape(w), inclusive: inclusive)
            return c == ">" ? .range(field: name, lower: bound, upper: nil) : .range(field: name, lower: nil, upper: bound)
        default:
            let (w, _, wild) = readWord(stopAtColon: false)
            if w == "*" { return .exists(field: name) }
            return wild ? .wildcard(field: name, pattern: w) : .term(field: name, value: unescape(w))
        }
    }

    /// `[lo TO hi]`, `{lo TO hi}` or mixed brackets; `*` is an open end.
    mutating func readRange(field: String) throws(QuerySyntaxError) -> QueryNode {
        let open = i
        let lowerInclusive = chars[i] == "["
        i += 1
        func skipSpaces() { while i < chars.count, Lexer.isSpace(chars[i]) { i += 1 } }
        // A bound and whether it was quoted (a quoted "*" is the literal text, not an open end).
        func bound() throws(QuerySyntaxError) -> (String, Bool) {
            skipSpaces()
            if i < chars.count, chars[i] == "\"" { return (try readQuoted(), true) }
            var s = String.UnicodeScalarView()
            while i < chars.count, !Lexer.isSpace(chars[i]), chars[i] != "]", chars[i] != "}" {
                if chars[i] == "\\" && i + 1 < chars.count { s.append(chars[i + 1]); i += 2; continue }
                s.append(chars[i]); i += 1
            }
            guard !s.isEmpty else { throw QuerySyntaxError(position: i, message: "expected a range bound or '*'") }
            return (String(s), false)
        }
        let lo = try bound()
        skipSpaces()
        guard i + 1 < chars.count, chars[i] == "T" || chars[i] == "t", chars[i + 1] == "O" || chars[i + 1] == "o" else {
            throw QuerySyntaxError(position: i, message: "expected 'TO' in the range opened at position \(open)")
        }
        i += 2
        let hi = try bound()
        skipSpaces()
        guard i < chars.count, chars[i] == "]" || chars[i] == "}" else {
            throw QuerySyntaxError(position: i, message: "expected ']' or '}' to close the range opened at position \(open)")
        }
        let upperInclusive = chars[i] == "]"
        i += 1
        let lower = lo == ("*", false) ? nil : RangeBound(lo.0, inclusive: lowerInclusive)
        let upper = hi == ("*", false) ? nil : RangeBound(hi.0, inclusive: upperInclusive)
        return .range(field: field, lower: lower, upper: upper)
    }
}

/// Parses the query language subset of the storage-engine milestone:
/// terms, `"phrases"`, `field:value`, `field:"phrase"`, `*` wildcards, `AND`/`OR`/`NOT`/`-`,
/// parentheses and implicit AND. Precedence: NOT binds tightest, then AND (explicit or
/// implicit), then OR. Keywords are case-insensitive.
public struct QueryParser {
    enum Token: Equatable {
        case word(String, quoted: Bool, field: String?)
        case lparen, rparen, and, or, not
    }

    private var tokens: [(Token, Int)] = []
    private var index = 0

    public init() {}

    /// Parses `text` into a query tree.
    public static func parse(_ text: String) throws(QuerySyntaxError) -> QueryNode {
        var p = QueryParser()
        p.tokens = try lex(text)
        if p.tokens.isEmpty { return .all }
        let node = try p.parseOr()
        if p.index < p.tokens.count {
            throw QuerySyntaxError(position: p.tokens[p.index].1, message: "unexpected \(p.describe(p.tokens[p.index].0)), expected an operator or end of query")
        }
        return node
    }

    static func lex(_ text: String) throws(QuerySyntaxError) -> [(Token, Int)] {
        let chars = Array(text.unicodeScalars)
        var out = [(Token, Int)]()
        var i = 0
        func readQuoted(_ start: Int) throws(QuerySyntaxError) -> String {
            var s = ""
            var j = start + 1
            while j < chars.count {
                if chars[j] == "\\" && j + 1 < chars.count { s.unicodeScalars.append(chars[j + 1]); j += 2; continue }
                if chars[j] == "\"" { i = j + 1; return s }
                s.unicodeScalars.append(chars[j]); j += 1
            }
            throw QuerySyntaxError(position: start, message: "unterminated quoted phrase, expected '\"'")
        }
        while i < chars.count {
            let c = chars[i]
            if c == " " || c == "\t" || c == "\n" { i += 1; continue }
            let start = i
            if c == "(" { out.append((.lparen, i)); i += 1; continue }
            if c == ")" { out.append((.rparen, i)); i += 1; continue }
            if c == "-" && i + 1 < chars.count && chars[i + 1] != " " {
                out.append((.not, i)); i += 1; continue
            }
            if c == "\"" {
                out.append((.word(try readQuoted(i), quoted: true, field: nil), start)); continue
            }
            var word = ""
            var field: String? = nil
            while i < chars.count {
                let d = chars[i]
                if d == " " || d == "\t" || d == "\n" || d == "(" || d == ")" { break }
                if d == "\\" && i + 1 < chars.count { word.unicodeScalars.append(chars[i + 1]); i += 2; continue }
                if d == ":" && field == nil && !word.isEmpty {
                    field = word
                    word = ""
                    i += 1
                    if i < chars.count && chars[i] == "\"" {
                        out.append((.word(try readQuoted(i), quoted: true, field: field), start))
                        field = nil
                        word = ""
                        break
                    }
                    continue
                }
                word.unicodeScalars.append(d); i += 1
            }
            if let f = field {
                guard !word.isEmpty else { throw QuerySyntaxError(position: i, message: "expected a value after '\(f):'") }
                out.append((.word(word, quoted: false, field: f), start))
            } else if !word.isEmpty {
                switch word.uppercased() {
                case "AND": out.append((.and, start))
                case "OR": out.append((.or, start))
                case "NOT": out.append((.not, start))
                default: out.append((.word(word, quoted: false, field: nil), start))
                }
            }
        }
        return out
    }

    private func describe(_ t: Token) -> String {
        switch t {
        case .word(let w, _, _): "'\(w)'"
        case .lparen: "'('"
        case .rparen: "')'"
        case .and: "AND"
        case .or: "OR"
        case .not: "NOT"
        }
    }

    private var endPosition: Int { tokens.last.map { $0.1 + 1 } ?? 0 }

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
        return parts.count == 1 ? parts[0] : .and(parts)
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
                throw QuerySyntaxError(position: index < tokens.count ? tokens[index].1 : endPosition, message: "expected ')' to close '(' at position \(pos)")
            }
            index += 1
            return inner
        case .word(let w, let quoted, let field):
            index += 1
            if quoted { return .phrase(field: field, text: w) }
            if field == nil && w == "*" { return .all }
            return .term(field: field, value: w)
        case .rparen, .and, .or:
            throw QuerySyntaxError(position: pos, message: "unexpected \(describe(t)), expected a term, phrase or '('")
        }
    }
}

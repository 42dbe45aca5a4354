import StrataFormat

/// A grok expression (`%{IP:client} %{WORD:verb} …` mixed with regex) expanded against a
/// `GrokLibrary` into one PCRE2 regex whose capture groups map to field names.
///
/// Expansion: `%{NAME}` → `(?:def)`, `%{NAME:field}` → a capture of `def` named `field`,
/// `%{NAME:field:int|float|string}` also fixes the type; a raw named group `(?<field>…)` in a
/// definition or the expression is a capture too. ECS names such as `[source][address]`
/// become `source.address`. Untyped captures of the number patterns (INT, POSINT, NONNEGINT,
/// NUMBER, BASE10NUM) are typed by inference (integer, else float); all others are strings.
///
/// Invariants: the regex is matched against the whole line (anchored at both ends) with `.`
/// matching newlines too, so `%{GREEDYDATA}` takes a whole joined multiline event; a
/// capture that did not take part is absent; when several groups share a field name the
/// first that took part wins. Expansion depth is bounded (`maxDepth`), so a cyclic library
/// is an error, not a hang.
public final class GrokPattern: Sendable {
    /// How a capture's text becomes a field value.
    public enum CaptureType: Sendable, Equatable { case string, int, float, inferred }

    /// One capture group and the field it fills.
    public struct Capture: Sendable, Equatable {
        public let field: String
        public let group: Int
        public let type: CaptureType
    }

    /// The expression as written.
    public let expression: String
    /// The regex after expansion.
    public let regex: PCRERegex
    /// Captures in group order.
    public let captures: [Capture]

    static let maxDepth = 48
    static let numberPatterns: Set<String> = ["INT", "POSINT", "NONNEGINT", "NUMBER", "BASE10NUM"]

    /// Expands and compiles `expression`.
    public init(_ expression: String, library: GrokLibrary) throws(GrokError) {
        self.expression = expression
        var expander = Expander(library: library)
        let regexText = try expander.expand(expression, depth: 0, context: expression)
        do {
            regex = try PCRERegex(regexText, dotMatchesNewline: true, wholeSubject: true)
        } catch {
            throw GrokError.regex(error)
        }
        var captures: [Capture] = []
        for (i, c) in expander.captures.enumerated() {
            guard let g = regex.groupNumber(of: "g\(i)") else { continue }
            captures.append(Capture(field: c.field, group: g, type: c.type))
        }
        self.captures = captures
    }

    /// Matches the whole `line` and calls `body` with each participating capture's field and
    /// bytes (first participant per field name). Returns whether the line matched.
    @discardableResult
    public func forEachCapture(in line: UnsafeRawBufferPointer, _ body: (Capture, UnsafeRawBufferPointer) -> Void) -> Bool {
        regex.withMatch(line, whole: true) { (groups: MatchGroups) -> Void in
            var seen: Set<String> = []
            for c in captures {
                guard let r = groups[c.group], !seen.contains(c.field) else { continue }
                seen.insert(c.field)
                body(c, UnsafeRawBufferPointer(rebasing: line[r]))
            }
        } != nil
    }

    /// The typed fields of `line` in capture order, or nil when it does not match.
    public func match(_ line: UnsafeRawBufferPointer) -> [Field]? {
        var out: [Field] = []
        let ok = forEachCapture(in: line) { c, v in out.append(Field(c.field, GrokPattern.value(v, c.type))) }
        return ok ? out : nil
    }

    /// The value of captured bytes under `type`; a failed `int`/`float` conversion keeps the text.
    public static func value(_ v: UnsafeRawBufferPointer, _ type: CaptureType) -> FieldValue {
        switch type {
        case .string: return .string(String(decoding: v, as: UTF8.self))
        case .int:
            if let i = FieldInference.integer(v) { return .int(i) }
            if let d = FieldInference.decimal(v), d.magnitude < 9e18 { return .int(Int64(d)) }
        case .float:
            if let i = FieldInference.integer(v) { return .float(Double(i)) }
            if let d = FieldInference.decimal(v) { return .float(d) }
        case .inferred:
            if let i = FieldInference.integer(v) { return .int(i) }
            if let d = FieldInference.decimal(v) { return .float(d) }
        }
        return .string(String(decoding: v, as: UTF8.self))
    }

    /// Rewrites grok references and named groups into a plain PCRE2 pattern.
    struct Expander {
        let library: GrokLibrary
        var captures: [(field: String, type: CaptureType)] = []

        mutating func expand(_ text: String, depth: Int, context: String) throws(GrokError) -> String {
            let b = Array(text.utf8)
            var out: [UInt8] = []
            out.reserveCapacity(b.count * 2)
            var i = 0
            var inClass = false
            while i < b.count {
                let c = b[i]
                if c == UInt8(ascii: "\\") {
                    out.append(c)
                    if i + 1 < b.count { out.append(b[i + 1]) }
                    i += 2
                    continue
                }
                if inClass {
                    if c == UInt8(ascii: "]") { inClass = false }
                    out.append(c); i += 1; continue
                }
                if c == UInt8(ascii: "[") {
                    inClass = true
                    out.append(c); i += 1
                    // A leading `]` or `^]` is literal inside a class.
                    if i < b.count, b[i] == UInt8(ascii: "^") { out.append(b[i]); i += 1 }
                    if i < b.count, b[i] == UInt8(ascii: "]") { out.append(b[i]); i += 1 }
                    continue
                }
                // Oniguruma allows a quantifier on a quantifier (`.?*`, `x+*`), PCRE2 does not;
                // `X?*`, `X+*` and `X**` all mean `X*`.
                if c == UInt8(ascii: "*"), let last = out.last, last == UInt8(ascii: "?") || last == UInt8(ascii: "+") || last == UInt8(ascii: "*"),
                   out.count >= 2, out[out.count - 2] != UInt8(ascii: "\\"), out[out.count - 2] != UInt8(ascii: "(") {
                    out[out.count - 1] = c
                    i += 1
                    continue
                }
                if c == UInt8(ascii: "%"), i + 1 < b.count, b[i + 1] == UInt8(ascii: "{") {
                    guard let close = b[(i + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                        throw GrokError.badSyntax(pattern: context, offset: i, reason: "unterminated %{")
                    }
                    let parts = b[(i + 2)..<close].split(separator: UInt8(ascii: ":"), maxSplits: 2, omittingEmptySubsequences: false)
                    let name = String(decoding: parts[0], as: UTF8.self)
                    guard !name.isEmpty, name.utf8.allSatisfy({ GrokLibrary.isNameByte($0) }) else {
                        throw GrokError.badSyntax(pattern: context, offset: i, reason: "invalid pattern name '\(name)'")
                    }
                    guard let def = library.definitions[name] else { throw GrokError.unknownPattern(name: name, in: context) }
                    guard depth < GrokPattern.maxDepth else { throw GrokError.tooDeep(name: name) }
                    if parts.count >= 2, !parts[1].isEmpty {
                        let field = Expander.fieldName(String(decoding: parts[1], as: UTF8.self))
                        var type: CaptureType = GrokPattern.numberPatterns.contains(name) ? .inferred : .string
                        if parts.count == 3 {
                            switch String(decoding: parts[2], as: UTF8.self) {
                            case "int", "integer", "long": type = .int
                            case "float", "double": type = .float
                            case "string": type = .string
                            default: break
                            }
                        }
                        let index = captures.count
                        captures.append((field, type))
                        let inner = try expand(def, depth: depth + 1, context: name)
                        out.append(contentsOf: "(?<g\(index)>".utf8)
                        out.append(contentsOf: inner.utf8)
                        out.append(UInt8(ascii: ")"))
                    } else {
                        let inner = try expand(def, depth: depth + 1, context: name)
                        out.append(contentsOf: "(?:".utf8)
                        out.append(contentsOf: inner.utf8)
                        out.append(UInt8(ascii: ")"))
                    }
                    i = close + 1
                    continue
                }
                if c == UInt8(ascii: "("), i + 2 < b.count, b[i + 1] == UInt8(ascii: "?") {
                    // Named group: (?<name>…) or (?P<name>…) — but not lookbehind (?<= / (?<!.
                    var j = i + 2
                    if b[j] == UInt8(ascii: "P") { j += 1 }
                    if j < b.count, b[j] == UInt8(ascii: "<"), j + 1 < b.count, b[j + 1] != UInt8(ascii: "="), b[j + 1] != UInt8(ascii: "!") {
                        guard let close = b[(j + 1)...].firstIndex(of: UInt8(ascii: ">")) else {
                            throw GrokError.badSyntax(pattern: context, offset: i, reason: "unterminated group name")
                        }
                        let index = captures.count
                        captures.append((Expander.fieldName(String(decoding: b[(j + 1)..<close], as: UTF8.self)), .string))
                        out.append(contentsOf: "(?<g\(index)>".utf8)
                        i = close + 1
                        continue
                    }
                }
                out.append(c)
                i += 1
            }
            return String(decoding: out, as: UTF8.self)
        }

        /// `[source][address]` → `source.address`; other names unchanged.
        static func fieldName(_ raw: String) -> String {
            guard raw.hasPrefix("[") else { return raw }
            return raw.split(whereSeparator: { $0 == "[" || $0 == "]" }).joined(separator: ".")
        }
    }
}

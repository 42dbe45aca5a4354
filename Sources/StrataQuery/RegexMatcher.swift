/// A compiled regular expression that must match a whole value (anchored at both ends),
/// as in Lucene's `field:/re/`. Syntax: Swift's regex syntax (PCRE-like).
///
/// Matching converts the bytes to a String, so it is used on dictionary terms, distinct
/// values and the few rows left after cheaper filters — not as the first filter on a scan.
public struct RegexMatcher: @unchecked Sendable {
    private let regex: Regex<AnyRegexOutput>
    public let pattern: String

    public init(_ pattern: String, caseInsensitive: Bool) throws(QuerySyntaxError) {
        self.pattern = pattern
        do {
            let r = try Regex(pattern)
            regex = caseInsensitive ? r.ignoresCase() : r
        } catch {
            throw QuerySyntaxError(position: 0, message: "invalid regular expression /\(pattern)/: \(error)")
        }
    }

    /// Throws a syntax error at `position` if `pattern` does not compile.
    static func validate(_ pattern: String, at position: Int) throws(QuerySyntaxError) {
        do {
            _ = try Regex(pattern)
        } catch {
            throw QuerySyntaxError(position: position, message: "invalid regular expression /\(pattern)/: \(error)")
        }
    }

    /// Whether the whole of `bytes` matches.
    public func matches<C: Collection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        let s = String(decoding: bytes, as: UTF8.self)
        return (try? regex.wholeMatch(in: s)) != nil
    }

    public func matches(_ s: String) -> Bool { (try? regex.wholeMatch(in: s)) != nil }
}

/// Wildcard matching of `*` (any run of bytes) and `?` (one byte) over bytes.
public struct Glob: Sendable, Equatable {
    public let pattern: [UInt8]
    public let caseInsensitive: Bool

    public init(_ pattern: String, caseInsensitive: Bool) {
        self.pattern = caseInsensitive ? Array(pattern.lowercased().utf8) : Array(pattern.utf8)
        self.caseInsensitive = caseInsensitive
    }

    /// Whether the pattern contains a wildcard.
    public static func hasWildcard(_ s: String) -> Bool { s.contains("*") || s.contains("?") }

    /// Whether `text` matches the whole pattern. O(n·m) worst case, linear for typical patterns.
    public func matches<C: Collection>(_ text: C) -> Bool where C.Element == UInt8, C.Index == Int {
        var p = 0, t = text.startIndex
        var starP = -1, starT = 0
        let end = text.endIndex
        while t < end {
            var c = text[t]
            if caseInsensitive && c >= 0x41 && c <= 0x5A { c |= 0x20 }
            if p < pattern.count && (pattern[p] == UInt8(ascii: "?") || pattern[p] == c) {
                p += 1; t += 1
            } else if p < pattern.count && pattern[p] == UInt8(ascii: "*") {
                starP = p; starT = t; p += 1
            } else if starP >= 0 {
                p = starP + 1; starT += 1; t = starT
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
        return p == pattern.count
    }
}

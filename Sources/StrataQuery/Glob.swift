/// Wildcard matching over bytes: `*` is any run of bytes, `?` exactly one byte, `\x` the
/// literal x. The whole text must match.
///
/// Invariant: `elements` holds literal bytes (0…255, lower-cased when case-insensitive),
/// `star` (-1) and `one` (-2).
public struct Glob: Sendable, Equatable {
    static let star: Int16 = -1
    static let one: Int16 = -2
    let elements: [Int16]
    public let caseInsensitive: Bool

    public init(_ pattern: String, caseInsensitive: Bool) {
        var el = [Int16]()
        var escaped = false
        for var b in pattern.utf8 {
            if escaped {
                escaped = false
            } else if b == UInt8(ascii: "\\") {
                escaped = true
                continue
            } else if b == UInt8(ascii: "*") {
                if el.last != Self.star { el.append(Self.star) }
                continue
            } else if b == UInt8(ascii: "?") {
                el.append(Self.one)
                continue
            }
            if caseInsensitive && b >= 0x41 && b <= 0x5A { b |= 0x20 }
            el.append(Int16(b))
        }
        elements = el
        self.caseInsensitive = caseInsensitive
    }

    /// The literal bytes before the first wildcard (for prefix enumeration of sorted terms).
    public var literalPrefix: [UInt8] {
        var out = [UInt8]()
        for e in elements { if e < 0 { break }; out.append(UInt8(e)) }
        return out
    }

    /// The longest run of literal bytes: every matching text contains it (empty if none).
    public var longestLiteral: [UInt8] {
        var best = [UInt8](), cur = [UInt8]()
        for e in elements + [Self.star] {
            if e >= 0 { cur.append(UInt8(e)) } else {
                if cur.count > best.count { best = cur }
                cur = []
            }
        }
        return best
    }

    /// Whether `text` matches the whole pattern. O(n·m) worst case, linear for typical patterns.
    public func matches<C: Collection>(_ text: C) -> Bool where C.Element == UInt8, C.Index == Int {
        var p = 0, t = text.startIndex
        var starP = -1, starT = 0
        let end = text.endIndex
        let n = elements.count
        while t < end {
            var c = text[t]
            if caseInsensitive && c >= 0x41 && c <= 0x5A { c |= 0x20 }
            if p < n && (elements[p] == Self.one || elements[p] == Int16(c)) {
                p += 1; t += 1
            } else if p < n && elements[p] == Self.star {
                starP = p; starT = t; p += 1
            } else if starP >= 0 {
                p = starP + 1; starT += 1; t = starT
            } else {
                return false
            }
        }
        while p < n && elements[p] == Self.star { p += 1 }
        return p == n
    }

    public func matches(_ s: String) -> Bool { matches(Array(s.utf8)) }
}

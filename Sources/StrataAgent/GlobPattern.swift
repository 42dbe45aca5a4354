/// A shell-style path pattern: `*` (any run of characters except `/`), `?` (one character
/// except `/`), `[abc]`, `[a-z]`, `[!x]` (a class), `\x` (a literal), and `**` as a whole
/// path component (any number of components, zero included).
///
/// Invariant: matching is on bytes (UTF-8) and never backtracks more than O(pattern × path)
/// per component; a malformed class (`[ab`) matches its bracket literally.
public struct GlobPattern: Sendable, Equatable {
    /// The pattern as written.
    public let text: String
    /// The pattern's `/`-separated components (empty components from `//` dropped).
    let components: [[UInt8]]
    /// Whether the pattern started with `/`.
    let absolute: Bool

    public init(_ text: String) {
        self.text = text
        absolute = text.hasPrefix("/")
        components = text.utf8.split(separator: UInt8(ascii: "/")).map { Array($0) }
    }

    /// Whether the pattern holds any wildcard.
    public var hasWildcards: Bool { components.contains { Self.componentHasWildcards($0) } }

    /// The leading components without wildcards: the directory where expansion starts.
    public var literalPrefix: String { prefix(components: components.prefix { !Self.componentHasWildcards($0) }.count) }

    /// The path made of the first `count` components.
    func prefix(components count: Int) -> String {
        var out = absolute ? "/" : ""
        for c in components.prefix(count) { out += String(decoding: c, as: UTF8.self) + "/" }
        if out.count > 1 && out.hasSuffix("/") { out.removeLast() }
        return out.isEmpty ? "." : out
    }

    /// Whether the whole `path` matches.
    public func matches(_ path: String) -> Bool {
        let parts = path.utf8.split(separator: UInt8(ascii: "/")).map { Array($0) }
        return Self.match(components[...], parts[...])
    }

    static func match(_ pattern: ArraySlice<[UInt8]>, _ path: ArraySlice<[UInt8]>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == [0x2A, 0x2A] {
            // `**`: zero or more components.
            var rest = path
            while true {
                if match(pattern.dropFirst(), rest) { return true }
                if rest.isEmpty { return false }
                rest = rest.dropFirst()
            }
        }
        guard let p = path.first, matchComponent(first, p) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    /// Whether one component pattern matches one name (iterative with one star backtrack
    /// point, so it is linear in practice).
    public static func matchComponent(_ pat: [UInt8], _ name: [UInt8]) -> Bool {
        var pi = 0, ni = 0
        var starP = -1, starN = 0
        while ni < name.count {
            if pi < pat.count {
                let c = pat[pi]
                if c == UInt8(ascii: "*") { starP = pi; starN = ni; pi += 1; continue }
                if c == UInt8(ascii: "?") { pi += 1; ni += 1; continue }
                if c == UInt8(ascii: "[") , let (ok, next) = matchClass(pat, pi, name[ni]) {
                    if ok { pi = next; ni += 1; continue }
                } else if c == UInt8(ascii: "\\") && pi + 1 < pat.count {
                    if pat[pi + 1] == name[ni] { pi += 2; ni += 1; continue }
                } else if c == name[ni] {
                    pi += 1; ni += 1; continue
                }
            }
            if starP >= 0 { pi = starP + 1; starN += 1; ni = starN; continue }
            return false
        }
        while pi < pat.count && pat[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == pat.count
    }

    /// Matches `ch` against the class starting at `pat[start] == "["`; nil when the class is
    /// not closed (the bracket is then a literal).
    static func matchClass(_ pat: [UInt8], _ start: Int, _ ch: UInt8) -> (Bool, Int)? {
        var i = start + 1
        var negate = false
        if i < pat.count && (pat[i] == UInt8(ascii: "!") || pat[i] == UInt8(ascii: "^")) { negate = true; i += 1 }
        var found = false
        var first = true
        while i < pat.count {
            let c = pat[i]
            if c == UInt8(ascii: "]") && !first { return (found != negate, i + 1) }
            first = false
            if i + 2 < pat.count && pat[i + 1] == UInt8(ascii: "-") && pat[i + 2] != UInt8(ascii: "]") {
                if ch >= c && ch <= pat[i + 2] { found = true }
                i += 3
            } else {
                if ch == c { found = true }
                i += 1
            }
        }
        return nil
    }

    static func componentHasWildcards(_ c: [UInt8]) -> Bool {
        c.contains { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "\\") }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The rules of one kind (browser, os or device) compiled for matching: every token lives in
/// one byte pool and each rule is a plain value of offsets, so the match loop does no reference
/// counting and no allocation.
///
/// Invariants: rules keep file order; every `Span` lies inside `pool`; `requires`, `unless`
/// and `maps` are ranges of `conditions` / `mapFrom` (and `mapTo`); tokens of `noCase` rules
/// are lower-case and are searched in the folded copy of the user agent, which has the same
/// offsets as the original.
struct UserAgentRuleTable: Sendable {
    struct Span: Sendable {
        var start: Int
        var count: Int
    }

    struct Entry: Sendable {
        var token: Span
        var matchesAll: Bool
        var noCase: Bool
        var capturesVersion: Bool
        /// `count == 0`: the version follows `token`.
        var versionToken: Span
        var requires: Range<Int>
        var unless: Range<Int>
        var maps: Range<Int>
        var name: Int
    }

    private(set) var pool: [UInt8] = []
    private(set) var entries: [Entry] = []
    private(set) var conditions: [Span] = []
    private(set) var mapFrom: [Span] = []
    private(set) var mapTo: [String] = []
    private(set) var names: [String] = []
    /// True when some rule needs the case-folded user agent.
    private(set) var needsFolding = false

    init(_ rules: [UserAgentRule]) {
        for r in rules {
            let token = add(r.token)
            var versionToken = Span(start: 0, count: 0)
            if let v = r.versionToken { versionToken = add(v) }
            let requiresStart = conditions.count
            for c in r.requires { conditions.append(add(c)) }
            let unlessStart = conditions.count
            for c in r.unless { conditions.append(add(c)) }
            let mapStart = mapFrom.count
            for m in r.versionMap {
                mapFrom.append(add(m.from))
                mapTo.append(m.to)
            }
            names.append(r.name)
            needsFolding = needsFolding || r.noCase
            entries.append(Entry(
                token: token, matchesAll: r.matchesAll, noCase: r.noCase, capturesVersion: r.capturesVersion,
                versionToken: versionToken, requires: requiresStart..<unlessStart,
                unless: unlessStart..<conditions.count, maps: mapStart..<mapFrom.count, name: names.count - 1))
        }
    }

    private mutating func add(_ bytes: [UInt8]) -> Span {
        pool += bytes
        return Span(start: pool.count - bytes.count, count: bytes.count)
    }

    /// Name and version of the first rule that applies to `ua`, or ("", ""). `folded` is `ua`
    /// ASCII-lower-cased (only read by `noCase` rules).
    func firstMatch(_ ua: UnsafeRawBufferPointer, folded: UnsafeRawBufferPointer) -> (name: String, version: String) {
        pool.withUnsafeBytes { p in
            entries.withUnsafeBufferPointer { es in
                conditions.withUnsafeBufferPointer { cs in
                    for e in es {
                        let hay = e.noCase ? folded : ua
                        var end = 0
                        if e.matchesAll {
                            if ua.isEmpty { continue }
                        } else {
                            guard let found = Self.find(e.token, p, in: hay) else { continue }
                            end = found
                        }
                        var ok = true
                        for i in e.requires where Self.find(cs[i], p, in: hay) == nil { ok = false; break }
                        if !ok { continue }
                        for i in e.unless where Self.find(cs[i], p, in: hay) != nil { ok = false; break }
                        if !ok { continue }
                        guard e.capturesVersion else { return (names[e.name], "") }
                        if e.versionToken.count > 0 {
                            guard let found = Self.find(e.versionToken, p, in: hay) else { return (names[e.name], "") }
                            end = found
                        }
                        return (names[e.name], version(in: ua, from: end, maps: e.maps, pool: p))
                    }
                    return ("", "")
                }
            }
        }
    }

    /// Offset just past the first occurrence of `pool[needle]` in `hay`, or nil. memchr
    /// (vectorised in libc) finds each candidate first byte, memcmp checks the rest.
    @inline(__always)
    static func find(_ needle: Span, _ pool: UnsafeRawBufferPointer, in hay: UnsafeRawBufferPointer) -> Int? {
        let m = needle.count, n = hay.count
        guard m > 0, m <= n, let base = hay.baseAddress, let poolBase = pool.baseAddress else { return nil }
        let first = poolBase + needle.start
        let firstByte = Int32(first.load(as: UInt8.self))
        let last = n - m
        var i = 0
        while i <= last {
            guard let hit = memchr(base + i, firstByte, last - i + 1) else { return nil }
            let at = base.distance(to: UnsafeRawPointer(hit))
            if m == 1 || memcmp(base + at + 1, first + 1, m - 1) == 0 { return at + m }
            i = at + 1
        }
        return nil
    }

    /// The version starting at `from` (after optional spaces), mapped or with `_` as `.`.
    private func version(in ua: UnsafeRawBufferPointer, from: Int, maps: Range<Int>, pool: UnsafeRawBufferPointer) -> String {
        var i = from
        let n = ua.count
        while i < n, ua[i] == UInt8(ascii: " ") { i += 1 }
        guard i < n, ua[i] >= UInt8(ascii: "0"), ua[i] <= UInt8(ascii: "9") else { return "" }
        var j = i
        while j < n, j - i < UserAgentParser.maxVersionLength, !Self.isDelimiter(ua[j]) { j += 1 }
        let length = j - i
        for k in maps where mapFrom[k].count == length {
            let start = mapFrom[k].start
            var q = 0
            while q < length, pool[start + q] == ua[i + q] { q += 1 }
            if q == length { return mapTo[k] }
        }
        return String(unsafeUninitializedCapacity: length) { out in
            for k in 0..<length {
                let c = ua[i + k]
                out[k] = c == UInt8(ascii: "_") ? UInt8(ascii: ".") : c
            }
            return length
        }
    }

    @inline(__always)
    static func isDelimiter(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: ";"), UInt8(ascii: ")"),
             UInt8(ascii: "("), UInt8(ascii: ","), UInt8(ascii: "\""):
            true
        default:
            false
        }
    }
}

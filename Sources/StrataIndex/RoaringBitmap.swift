import StrataFormat

/// A set of 32-bit row numbers stored as a Roaring bitmap: the high 16 bits select a container,
/// which holds the low 16 bits as a sorted array (≤ 4096 values), a 65 536-bit bitmap, or runs.
/// Serialises to the portable Roaring format (the one CRoaring, Java and pyroaring read), so
/// posting lists written by Strata are readable by any Roaring implementation and vice versa.
///
/// Invariants: `keys` strictly ascending; `containers[i]` is non-empty; array containers are
/// strictly ascending with at most 4096 values; bitmap containers hold more than 4096 values.
public struct RoaringBitmap: Equatable, Sendable {
    /// One container's low 16-bit values.
    public enum Container: Equatable, Sendable {
        case array([UInt16])
        /// 1024 words, bit *v* of the container at word v / 64, bit v % 64.
        case bitmap([UInt64])
        /// Runs as (start, length − 1) pairs, ascending and non-overlapping.
        case run([UInt16])
    }

    public private(set) var keys: [UInt16] = []
    public private(set) var containers: [Container] = []

    /// The empty set.
    public init() {}

    /// The set of `values` (any order, duplicates allowed).
    public init<S: Sequence>(_ values: S) where S.Element == UInt32 {
        let sorted = Array(values).sorted()
        var i = 0
        while i < sorted.count {
            let key = UInt16(sorted[i] >> 16)
            var low = [UInt16]()
            while i < sorted.count, UInt16(sorted[i] >> 16) == key {
                let v = UInt16(truncatingIfNeeded: sorted[i])
                if low.last != v { low.append(v) }
                i += 1
            }
            keys.append(key)
            containers.append(Self.normalised(low))
        }
    }

    /// Number of values.
    public var cardinality: Int { containers.reduce(0) { $0 + Self.count($1) } }

    /// Whether the set holds `value`.
    public func contains(_ value: UInt32) -> Bool {
        let key = UInt16(value >> 16), low = UInt16(truncatingIfNeeded: value)
        guard let i = index(of: key) else { return false }
        switch containers[i] {
        case .array(let a): return binarySearch(a, low)
        case .bitmap(let w): return w[Int(low >> 6)] >> UInt64(low & 63) & 1 == 1
        case .run(let r):
            var k = 0
            while k < r.count {
                if low < r[k] { return false }
                if Int(low) <= Int(r[k]) + Int(r[k + 1]) { return true }
                k += 2
            }
            return false
        }
    }

    /// All values in ascending order.
    public var values: [UInt32] {
        var out = [UInt32]()
        out.reserveCapacity(cardinality)
        for (key, c) in zip(keys, containers) {
            let high = UInt32(key) << 16
            for v in Self.lowValues(c) { out.append(high | UInt32(v)) }
        }
        return out
    }

    /// Values in both sets (AND).
    public func intersection(_ other: RoaringBitmap) -> RoaringBitmap {
        combine(other, keepLeftOnly: false, keepRightOnly: false) { a, b in zip(a, b).map { $0 & $1 } }
    }

    /// Values in either set (OR).
    public func union(_ other: RoaringBitmap) -> RoaringBitmap {
        combine(other, keepLeftOnly: true, keepRightOnly: true) { a, b in zip(a, b).map { $0 | $1 } }
    }

    /// Values in this set but not in `other` (AND-NOT).
    public func subtracting(_ other: RoaringBitmap) -> RoaringBitmap {
        combine(other, keepLeftOnly: true, keepRightOnly: false) { a, b in zip(a, b).map { $0 & ~$1 } }
    }

    // MARK: - Internals

    func index(of key: UInt16) -> Int? {
        var lo = 0, hi = keys.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keys[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        return lo < keys.count && keys[lo] == key ? lo : nil
    }

    func binarySearch(_ a: [UInt16], _ v: UInt16) -> Bool {
        var lo = 0, hi = a.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if a[mid] < v { lo = mid + 1 } else { hi = mid }
        }
        return lo < a.count && a[lo] == v
    }

    /// Merges container-wise: both sides are widened to bitmaps, combined word-wise, then narrowed.
    private func combine(_ other: RoaringBitmap, keepLeftOnly: Bool, keepRightOnly: Bool,
                         _ op: ([UInt64], [UInt64]) -> [UInt64]) -> RoaringBitmap {
        var out = RoaringBitmap()
        var i = 0, j = 0
        while i < keys.count || j < other.keys.count {
            if j >= other.keys.count || (i < keys.count && keys[i] < other.keys[j]) {
                if keepLeftOnly { out.append(keys[i], containers[i]) }
                i += 1
            } else if i >= keys.count || other.keys[j] < keys[i] {
                if keepRightOnly { out.append(other.keys[j], other.containers[j]) }
                j += 1
            } else {
                let words = op(Self.words(containers[i]), Self.words(other.containers[j]))
                let low = Self.lowValues(.bitmap(words))
                if !low.isEmpty { out.append(keys[i], Self.normalised(low)) }
                i += 1; j += 1
            }
        }
        return out
    }

    mutating func append(_ key: UInt16, _ c: Container) {
        keys.append(key)
        containers.append(c)
    }

    static func count(_ c: Container) -> Int {
        switch c {
        case .array(let a): return a.count
        case .bitmap(let w): return w.reduce(0) { $0 + $1.nonzeroBitCount }
        case .run(let r):
            var n = 0
            var k = 1
            while k < r.count { n += Int(r[k]) + 1; k += 2 }
            return n
        }
    }

    static func words(_ c: Container) -> [UInt64] {
        if case .bitmap(let w) = c { return w }
        var w = [UInt64](repeating: 0, count: 1024)
        for v in lowValues(c) { w[Int(v >> 6)] |= 1 << UInt64(v & 63) }
        return w
    }

    static func lowValues(_ c: Container) -> [UInt16] {
        switch c {
        case .array(let a): return a
        case .bitmap(let w):
            var out = [UInt16]()
            for (i, word) in w.enumerated() {
                var x = word
                while x != 0 {
                    out.append(UInt16(i * 64 + x.trailingZeroBitCount))
                    x &= x - 1
                }
            }
            return out
        case .run(let r):
            var out = [UInt16]()
            var k = 0
            while k < r.count {
                for v in Int(r[k])...(Int(r[k]) + Int(r[k + 1])) { out.append(UInt16(v)) }
                k += 2
            }
            return out
        }
    }

    /// The array or bitmap container for sorted distinct `low` values.
    static func normalised(_ low: [UInt16]) -> Container {
        if low.count <= 4096 { return .array(low) }
        var w = [UInt64](repeating: 0, count: 1024)
        for v in low { w[Int(v >> 6)] |= 1 << UInt64(v & 63) }
        return .bitmap(w)
    }

    /// Runs of consecutive values as (start, length − 1) pairs.
    static func runs(_ low: [UInt16]) -> [UInt16] {
        var out = [UInt16]()
        var k = 0
        while k < low.count {
            var e = k
            while e + 1 < low.count, low[e + 1] == low[e] &+ 1, low[e + 1] != 0 { e += 1 }
            out.append(low[k]); out.append(UInt16(e - k))
            k = e + 1
        }
        return out
    }
}

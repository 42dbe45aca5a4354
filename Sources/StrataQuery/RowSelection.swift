/// A selection vector over the rows of one block: bit *i* set ⇔ row *i* is selected.
///
/// Invariant: `words.count == (rowCount + 63) / 64` and the bits past `rowCount` are zero,
/// so `count` and equality need no masking.
public struct RowSelection: Equatable, Sendable {
    public let rowCount: Int
    public var words: [UInt64]

    public init(rowCount: Int, all: Bool) {
        self.rowCount = rowCount
        words = [UInt64](repeating: all ? ~0 : 0, count: (rowCount + 63) / 64)
        if all { clearTail() }
    }

    /// A selection of the rows where `body` is true.
    public init(rowCount: Int, where body: (Int) -> Bool) {
        self.init(rowCount: rowCount, all: false)
        words.withUnsafeMutableBufferPointer { w in
            for i in 0..<rowCount where body(i) { w[i >> 6] |= 1 << UInt64(i & 63) }
        }
    }

    /// The rows of `candidates` whose code passes: `pass[code]`. One tight loop per 64 rows, no
    /// per-row calls (dictionary columns and levels are filtered this way).
    public static func byCode<C: FixedWidthInteger>(_ codes: [C], pass: [Bool], within candidates: RowSelection) -> RowSelection {
        var out = RowSelection(rowCount: candidates.rowCount, all: false)
        let n = candidates.rowCount
        // 0/1 bytes, so each row's bit is shifted in without a branch.
        let passBits = pass.map { $0 ? UInt64(1) : 0 }
        codes.withUnsafeBufferPointer { c in
            passBits.withUnsafeBufferPointer { ok in
                out.words.withUnsafeMutableBufferPointer { w in
                    candidates.words.withUnsafeBufferPointer { cand in
                        for k in 0..<w.count where cand[k] != 0 {
                            let base = k << 6
                            let end = min(64, n - base)
                            var bits: UInt64 = 0
                            for j in 0..<end { bits |= ok[Int(c[base + j])] << UInt64(j) }
                            w[k] = bits & cand[k]
                        }
                    }
                }
            }
        }
        return out
    }

    private mutating func clearTail() {
        let extra = words.count * 64 - rowCount
        if extra > 0 { words[words.count - 1] &= ~0 >> UInt64(extra) }
    }

    @inline(__always) public subscript(i: Int) -> Bool {
        get { words[i >> 6] & (1 << UInt64(i & 63)) != 0 }
        set {
            if newValue { words[i >> 6] |= 1 << UInt64(i & 63) } else { words[i >> 6] &= ~(1 << UInt64(i & 63)) }
        }
    }

    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
    public var isEmpty: Bool { !words.contains { $0 != 0 } }
    /// Whether every row is selected.
    public var isFull: Bool {
        guard let last = words.last else { return true }
        let tail = rowCount & 63 == 0 ? ~UInt64(0) : (1 << UInt64(rowCount & 63)) - 1
        return last == tail && !words.dropLast().contains { $0 != ~0 }
    }

    public mutating func formIntersection(_ o: RowSelection) {
        for k in words.indices { words[k] &= o.words[k] }
    }

    public mutating func formUnion(_ o: RowSelection) {
        for k in words.indices { words[k] |= o.words[k] }
    }

    public mutating func invert() {
        for k in words.indices { words[k] = ~words[k] }
        clearTail()
    }

    /// Calls `body` with each selected row in ascending order.
    @inline(__always) public func forEach(_ body: (Int) -> Void) {
        for (k, var w) in words.enumerated() {
            while w != 0 {
                body(k << 6 | w.trailingZeroBitCount)
                w &= w &- 1
            }
        }
    }

    /// The selected rows in descending order (newest first within a time-sorted block).
    public func descendingRows() -> [Int] {
        var out = [Int]()
        for k in words.indices.reversed() {
            var w = words[k]
            while w != 0 {
                let b = 63 - w.leadingZeroBitCount
                out.append(k << 6 | b)
                w &= ~(1 << UInt64(b))
            }
        }
        return out
    }
}

import StrataFormat

/// Allocation-free full-text tests on one message at a time, with the `Tokenizer` rules:
/// token boundaries are found once per message into a reused range buffer, and tokens are
/// compared case-insensitively in place.
final class TokenMatcher {
    private var ranges: [Range<Int>] = []
    private var lowered: [UInt8] = []

    init() {
        ranges.reserveCapacity(64)
        lowered.reserveCapacity(64)
    }

    private func split(_ p: UnsafeBufferPointer<UInt8>) {
        ranges.removeAll(keepingCapacity: true)
        var i = 0
        let n = p.count
        while i < n {
            while i < n && !Tokenizer.isTokenByte(p[i]) { i += 1 }
            let s = i
            while i < n && Tokenizer.isTokenByte(p[i]) { i += 1 }
            if i > s { ranges.append(s..<i) }
        }
    }

    @inline(__always) private static func equalLowered(_ p: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ q: [UInt8]) -> Bool {
        guard r.count == q.count else { return false }
        var j = 0
        for i in r {
            let c = p[i]
            if (c >= 0x41 && c <= 0x5A ? c | 0x20 : c) != q[j] { return false }
            j += 1
        }
        return true
    }

    /// Whether the lower-cased tokens `q` occur contiguously, in order, in `message`.
    func containsSequence(_ message: [UInt8], _ q: [[UInt8]]) -> Bool {
        message.withUnsafeBufferPointer { p in
            split(p)
            guard !q.isEmpty, ranges.count >= q.count else { return false }
            outer: for start in 0...(ranges.count - q.count) {
                for k in 0..<q.count where !Self.equalLowered(p, ranges[start + k], q[k]) { continue outer }
                return true
            }
            return false
        }
    }

    /// Whether some lower-cased token of `message` passes `test`.
    func anyToken(_ message: [UInt8], _ test: StringTest) -> Bool {
        message.withUnsafeBufferPointer { p in
            split(p)
            for r in ranges {
                lowered.removeAll(keepingCapacity: true)
                for i in r { let c = p[i]; lowered.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c) }
                if test.test(lowered) { return true }
            }
            return false
        }
    }
}

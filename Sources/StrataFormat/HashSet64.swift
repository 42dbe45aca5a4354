/// An open-addressing set of 64-bit hashes (linear probing, power-of-two capacity, load ≤ 1/2).
///
/// Keys are already uniformly distributed hashes, so their low bits index the table directly;
/// this makes collecting a block's distinct Bloom keys several times cheaper than `Set<UInt64>`.
/// Invariant: slot value 0 means empty; the key 0 is stored as 1 (a one-in-2^64 merge).
public struct HashSet64 {
    private var slots: [UInt64]
    private var mask: Int
    public private(set) var count = 0

    public init(capacity: Int = 1024) {
        var n = 16
        while n < capacity * 2 { n <<= 1 }
        slots = [UInt64](repeating: 0, count: n)
        mask = n - 1
    }

    public mutating func insert(_ key: UInt64) {
        let k = key == 0 ? 1 : key
        if (count + 1) * 2 > slots.count { grow() }
        var i = Int(truncatingIfNeeded: k) & mask
        while true {
            let s = slots[i]
            if s == k { return }
            if s == 0 { slots[i] = k; count += 1; return }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        slots = [UInt64](repeating: 0, count: old.count * 2)
        mask = slots.count - 1
        count = 0
        for s in old where s != 0 { insert(s) }
    }

    /// Calls `body` with every key.
    public func forEach(_ body: (UInt64) -> Void) {
        for s in slots where s != 0 { body(s) }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// HyperLogLog distinct-count sketch with 2^14 one-byte registers (16 KiB).
///
/// Standard error ≈ 1.04 / √16384 ≈ 0.81%; below 2.5 × m the linear-counting estimate is used,
/// which is near exact for small sets. Inputs are 64-bit hashes (xxh64 of the value's text).
public struct HyperLogLog: Sendable {
    public static let precision = 14
    static let m = 1 << precision
    var registers: [UInt8]

    public init() { registers = [UInt8](repeating: 0, count: Self.m) }

    /// The relative standard error of `estimate`.
    public static let standardError = 1.04 / Double(1 << (precision / 2))

    public mutating func insert(hash h: UInt64) {
        let idx = Int(h >> UInt64(64 - Self.precision))
        let rest = h << UInt64(Self.precision)
        let rank = UInt8(min(rest.leadingZeroBitCount, 64 - Self.precision) + 1)
        if rank > registers[idx] { registers[idx] = rank }
    }

    public mutating func merge(_ o: HyperLogLog) {
        for i in registers.indices where o.registers[i] > registers[i] { registers[i] = o.registers[i] }
    }

    public var estimate: Double {
        let m = Double(Self.m)
        var sum = 0.0, zeros = 0
        for r in registers {
            sum += 1.0 / Double(UInt64(1) << UInt64(r))
            if r == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        if raw <= 2.5 * m && zeros > 0 { return m * log(m / Double(zeros)) }
        return raw
    }
}


#if canImport(Glibc)
import Glibc
#endif

/// Percentiles of a stream of numbers: exact (all values kept) up to `exactLimit` values, then
/// a logarithmic-bucket sketch (DDSketch-style) whose answers are within `relativeAccuracy`
/// (1%) of a true value of the requested rank.
///
/// Exact percentile definition (nearest rank): sort ascending, p-th percentile of n values is
/// the value at 1-based rank ⌈p/100 · n⌉ (rank 1 for p·n ≤ 100).
public struct QuantileSketch: Sendable {
    public static let exactLimit = 10_000
    public static let relativeAccuracy = 0.01
    static let gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy)
    static let logGamma = log(gamma)

    var values: [Double] = []
    var exact = true
    var positive: [Int: Int] = [:]
    var negative: [Int: Int] = [:]
    var zeros = 0
    public internal(set) var count = 0

    public init() {}

    /// Whether answers are exact.
    public var isExact: Bool { exact }

    public mutating func insert(_ v: Double) {
        guard !v.isNaN else { return }
        count += 1
        if exact {
            values.append(v)
            if values.count > Self.exactLimit {
                exact = false
                for x in values { bucket(x) }
                values = []
            }
        } else {
            bucket(v)
        }
    }

    mutating func bucket(_ v: Double) {
        if v == 0 || v.magnitude < 1e-300 { zeros += 1; return }
        let k = Int((log(v.magnitude) / Self.logGamma).rounded(.up))
        if v > 0 { positive[k, default: 0] += 1 } else { negative[k, default: 0] += 1 }
    }

    /// The p-th percentile (0 < p ≤ 100); nil when no value was inserted.
    public func percentile(_ p: Double) -> Double? {
        guard count > 0 else { return nil }
        // ⌈p/100 · n⌉, robust to binary rounding of p (99.9 · 1000 / 100 must give 999).
        let x = p * Double(count) / 100
        let nearest = x.rounded()
        let rank = max(1, abs(x - nearest) <= 1e-9 * max(1, x) ? Int(nearest) : Int(x.rounded(.up)))
        if exact {
            let sorted = values.sorted()
            return sorted[min(rank, sorted.count) - 1]
        }
        var seen = 0
        for k in negative.keys.sorted(by: >) {
            seen += negative[k]!
            if seen >= rank { return -Self.value(k) }
        }
        seen += zeros
        if seen >= rank { return 0 }
        for k in positive.keys.sorted() {
            seen += positive[k]!
            if seen >= rank { return Self.value(k) }
        }
        return Self.value(positive.keys.max() ?? 0)
    }

    static func value(_ k: Int) -> Double { 2 * pow(gamma, Double(k)) / (gamma + 1) }
}

extension QuantileSketch {
    /// Adds every value of `o` (exact while the union stays under `exactLimit`).
    public mutating func merge(_ o: QuantileSketch) {
        if o.exact {
            for v in o.values { insert(v) }
            return
        }
        if exact {
            exact = false
            let kept = values
            values = []
            for x in kept { bucket(x) }
        }
        for (k, c) in o.positive { positive[k, default: 0] += c }
        for (k, c) in o.negative { negative[k, default: 0] += c }
        zeros += o.zeros
        count += o.count
    }
}

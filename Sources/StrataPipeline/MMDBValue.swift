/// A value decoded from the data section of a MaxMind DB file.
///
/// Invariants: the unsigned 16-, 32- and 64-bit wire types all decode to `.uint`; the signed
/// 32-bit type decodes to `.int`; 128-bit integers keep both halves. Map keys are unique (a
/// later duplicate key in the file replaces an earlier one). Pointers, data-cache containers and
/// end markers never appear here: pointers are followed while decoding.
public indirect enum MMDBValue: Sendable, Equatable {
    /// UTF-8 string (type 2), validated.
    case string(String)
    /// IEEE-754 binary64 (type 3).
    case double(Double)
    /// IEEE-754 binary32 (type 15).
    case float(Float)
    /// Opaque bytes (type 4).
    case bytes([UInt8])
    /// Unsigned 16-, 32- or 64-bit integer (types 5, 6, 9).
    case uint(UInt64)
    /// Unsigned 128-bit integer (type 10) as its high and low 64 bits.
    case uint128(high: UInt64, low: UInt64)
    /// Signed 32-bit integer (type 8).
    case int(Int32)
    /// Boolean (type 14).
    case bool(Bool)
    /// Map with string keys (type 7).
    case map([String: MMDBValue])
    /// Ordered array (type 11).
    case array([MMDBValue])

    /// The value under `key` when `self` is a map; nil otherwise or when the key is absent.
    public subscript(key: String) -> MMDBValue? {
        if case .map(let m) = self { return m[key] }
        return nil
    }

    /// The element at `index` when `self` is an array and the index is in range; nil otherwise.
    public subscript(index: Int) -> MMDBValue? {
        if case .array(let a) = self, index >= 0, index < a.count { return a[index] }
        return nil
    }

    /// The text when `self` is `.string`, else nil.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The value as a Double when `self` is any numeric case (`.uint128` only when its high
    /// half is zero); nil for non-numbers. Large 64-bit integers round to the nearest Double.
    public var doubleValue: Double? {
        switch self {
        case .double(let d): d
        case .float(let f): Double(f)
        case .uint(let u): Double(u)
        case .int(let i): Double(i)
        case .uint128(let high, let low): high == 0 ? Double(low) : nil
        default: nil
        }
    }

    /// The value as a UInt64 when `self` is `.uint`, a non-negative `.int`, or a `.uint128`
    /// whose high half is zero; nil otherwise.
    public var uintValue: UInt64? {
        switch self {
        case .uint(let u): u
        case .int(let i): i >= 0 ? UInt64(i) : nil
        case .uint128(let high, let low): high == 0 ? low : nil
        default: nil
        }
    }

    /// The value found by following `path` (map keys and array indexes) from `self`; nil as
    /// soon as a step does not apply.
    public func value(at path: [MMDBPathComponent]) -> MMDBValue? {
        var current = self
        for step in path {
            switch step {
            case .key(let k): guard let next = current[k] else { return nil }; current = next
            case .index(let i): guard let next = current[i] else { return nil }; current = next
            }
        }
        return current
    }
}

/// One step of a path into a decoded record: a map key or an array index.
///
/// Invariant: indexes are 0-based; a negative index never matches. String literals make keys
/// and integer literals make indexes, so `["subdivisions", 0, "names", "en"]` is a path.
public enum MMDBPathComponent: Sendable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    /// Look up this key in a map.
    case key(String)
    /// Take this element of an array.
    case index(Int)

    /// A key step.
    public init(stringLiteral value: String) { self = .key(value) }

    /// An index step.
    public init(integerLiteral value: Int) { self = .index(value) }
}

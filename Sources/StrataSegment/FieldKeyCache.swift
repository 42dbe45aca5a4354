import StrataCodec

/// A per-key value (a column number, a Bloom seed) looked up by field key without hashing in
/// the common case: the key last seen at the same position of a row is compared first, then
/// the (few) keys seen so far; only a block with many distinct keys falls back to a dictionary.
///
/// Invariant: `value(of:at:)` returns what the slow lookup (`values` or `columns`) returns for
/// the key, keys compared by their bytes; the cache only changes how fast.
struct FieldKeyCache<Value> {
    private var lastKey: [String] = []
    private var lastValue: [Value] = []
    /// Keys seen so far (at most `maxListed`) with their values, scanned linearly.
    private var listedKeys: [String] = []
    private var listedValues: [Value] = []
    private var known: [UTF8Key: Value]
    private let compute: ((String) -> Value)?
    static var maxListed: Int { 24 }

    /// Values from a fixed map; every key asked for must be in it.
    init(columns: [UTF8Key: Value]) {
        known = columns
        compute = nil
    }

    /// Values computed once per distinct key.
    init(values compute: @escaping (String) -> Value) {
        known = [:]
        self.compute = compute
    }

    /// The value for `key`, which the row lists at `position`.
    mutating func value(of key: String, at position: Int) -> Value {
        // Byte equality (UTF8Key), not String's canonical equivalence: differently spelled keys are different columns.
        if position < lastKey.count, UTF8Key.sameBytes(lastKey[position], key) { return lastValue[position] }
        let v = lookUp(key)
        if position < lastKey.count {
            lastKey[position] = key
            lastValue[position] = v
        } else if position == lastKey.count {
            lastKey.append(key)
            lastValue.append(v)
        }
        return v
    }

    private mutating func lookUp(_ key: String) -> Value {
        for i in listedKeys.indices where UTF8Key.sameBytes(listedKeys[i], key) { return listedValues[i] }
        let v: Value
        if let k = known[UTF8Key(key)] {
            v = k
        } else {
            guard let compute else { preconditionFailure("BUG: field key \(key) has no column") }
            v = compute(key)
            known[UTF8Key(key)] = v
        }
        if listedKeys.count < Self.maxListed {
            listedKeys.append(key)
            listedValues.append(v)
        }
        return v
    }
}

extension FieldKeyCache where Value == Int {
    /// The column of `key`, listed at `position`.
    mutating func column(of key: String, at position: Int) -> Int { value(of: key, at: position) }
}

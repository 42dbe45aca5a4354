/// A configuration tree as read from YAML: scalars, lists and mappings (mapping order kept).
///
/// Invariant: accessors never trap; a value of the wrong shape yields a `PipelineConfigError`
/// naming its path (`pipelines[0].processors[2].rename.fields`).
public indirect enum ConfigValue: Sendable, Equatable {
    case scalar(String)
    case list([ConfigValue])
    case map([(String, ConfigValue)])
    case null

    public static func == (a: ConfigValue, b: ConfigValue) -> Bool {
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)): return x == y
        case (.list(let x), .list(let y)): return x == y
        case (.map(let x), .map(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.null, .null): return true
        default: return false
        }
    }

    /// The value under `key` of a mapping.
    public subscript(key: String) -> ConfigValue? {
        if case .map(let pairs) = self { return pairs.first(where: { $0.0 == key })?.1 }
        return nil
    }

    /// The scalar text, or nil.
    public var string: String? { if case .scalar(let s) = self { return s }; return nil }
}

/// A reader over one node that knows its path, for error messages.
struct ConfigReader {
    let value: ConfigValue
    let path: String

    func child(_ key: String) -> ConfigReader? { value[key].map { ConfigReader(value: $0, path: path + "." + key) } }

    func string(_ key: String) throws(PipelineConfigError) -> String? {
        guard let v = value[key] else { return nil }
        if case .null = v { return nil }
        guard let s = v.string else { throw PipelineConfigError.invalid(path: path + "." + key, expected: "a text value") }
        return s
    }

    func requiredString(_ key: String) throws(PipelineConfigError) -> String {
        guard let s = try string(key) else { throw PipelineConfigError.missing(path: path + "." + key) }
        return s
    }

    func int(_ key: String) throws(PipelineConfigError) -> Int? {
        guard let s = try string(key) else { return nil }
        guard let v = Int(s) else { throw PipelineConfigError.invalid(path: path + "." + key, expected: "an integer, got '\(s)'") }
        return v
    }

    func double(_ key: String) throws(PipelineConfigError) -> Double? {
        guard let s = try string(key) else { return nil }
        guard let v = Double(s), v.isFinite else { throw PipelineConfigError.invalid(path: path + "." + key, expected: "a number, got '\(s)'") }
        return v
    }

    func bool(_ key: String) throws(PipelineConfigError) -> Bool? {
        guard let s = try string(key) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw PipelineConfigError.invalid(path: path + "." + key, expected: "true or false, got '\(s)'")
        }
    }

    /// A list of strings; a single scalar counts as a one-element list.
    func strings(_ key: String) throws(PipelineConfigError) -> [String]? {
        guard let v = value[key] else { return nil }
        switch v {
        case .scalar(let s): return [s]
        case .null: return []
        case .list(let items):
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard let s = item.string else { throw PipelineConfigError.invalid(path: "\(path).\(key)[\(i)]", expected: "a text value") }
                out.append(s)
            }
            return out
        case .map: throw PipelineConfigError.invalid(path: path + "." + key, expected: "a list")
        }
    }

    /// A mapping of strings to strings, in order.
    func stringMap(_ key: String) throws(PipelineConfigError) -> [(String, String)]? {
        guard let v = value[key] else { return nil }
        guard case .map(let pairs) = v else { throw PipelineConfigError.invalid(path: path + "." + key, expected: "a mapping") }
        var out: [(String, String)] = []
        for (k, item) in pairs {
            guard let s = item.string else { throw PipelineConfigError.invalid(path: "\(path).\(key).\(k)", expected: "a text value") }
            out.append((k, s))
        }
        return out
    }

    /// Duration text such as `500ms`, `10s`, `5m`, `1h` in nanoseconds.
    func duration(_ key: String) throws(PipelineConfigError) -> Int64? {
        guard let s = try string(key) else { return nil }
        guard let n = ConfigReader.parseDuration(s) else { throw PipelineConfigError.invalid(path: path + "." + key, expected: "a duration like 500ms, 10s, 5m, 1h; got '\(s)'") }
        return n
    }

    static func parseDuration(_ s: String) -> Int64? {
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86_400e9)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v >= 0, v * scale < 9e18 else { return nil }
            return Int64(v * scale)
        }
        return nil
    }
}

/// A pipeline configuration that cannot be used: where and why.
public enum PipelineConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    case missing(path: String)
    case invalid(path: String, expected: String)
    case unknown(path: String, name: String, known: [String])
    case failed(path: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let p): "\(p): required setting is missing"
        case .invalid(let p, let e): "\(p): expected \(e)"
        case .unknown(let p, let n, let known): "\(p): unknown '\(n)' (known: \(known.joined(separator: ", ")))"
        case .failed(let p, let r): "\(p): \(r)"
        }
    }
}

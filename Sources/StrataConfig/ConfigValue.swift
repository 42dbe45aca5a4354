import Yams

/// A configuration tree as read from YAML: scalars, lists and mappings (mapping order kept).
///
/// Invariant: accessors never trap; a value of the wrong shape yields a `ConfigPathError`
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
public struct ConfigReader: Sendable {
    public let value: ConfigValue
    public let path: String

    /// A reader over `value`, found at `path`.
    public init(value: ConfigValue, path: String) {
        self.value = value
        self.path = path
    }

    public func child(_ key: String) -> ConfigReader? { value[key].map { ConfigReader(value: $0, path: path + "." + key) } }

    public func string(_ key: String) throws(ConfigPathError) -> String? {
        guard let v = value[key] else { return nil }
        if case .null = v { return nil }
        guard let s = v.string else { throw ConfigPathError.invalid(path: path + "." + key, expected: "a text value") }
        return s
    }

    public func requiredString(_ key: String) throws(ConfigPathError) -> String {
        guard let s = try string(key) else { throw ConfigPathError.missing(path: path + "." + key) }
        return s
    }

    public func int(_ key: String) throws(ConfigPathError) -> Int? {
        guard let s = try string(key) else { return nil }
        guard let v = Int(s) else { throw ConfigPathError.invalid(path: path + "." + key, expected: "an integer, got '\(s)'") }
        return v
    }

    public func double(_ key: String) throws(ConfigPathError) -> Double? {
        guard let s = try string(key) else { return nil }
        guard let v = Double(s), v.isFinite else { throw ConfigPathError.invalid(path: path + "." + key, expected: "a number, got '\(s)'") }
        return v
    }

    public func bool(_ key: String) throws(ConfigPathError) -> Bool? {
        guard let s = try string(key) else { return nil }
        switch s.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigPathError.invalid(path: path + "." + key, expected: "true or false, got '\(s)'")
        }
    }

    /// A list of strings; a single scalar counts as a one-element list.
    public func strings(_ key: String) throws(ConfigPathError) -> [String]? {
        guard let v = value[key] else { return nil }
        switch v {
        case .scalar(let s): return [s]
        case .null: return []
        case .list(let items):
            var out: [String] = []
            for (i, item) in items.enumerated() {
                guard let s = item.string else { throw ConfigPathError.invalid(path: "\(path).\(key)[\(i)]", expected: "a text value") }
                out.append(s)
            }
            return out
        case .map: throw ConfigPathError.invalid(path: path + "." + key, expected: "a list")
        }
    }

    /// A mapping of strings to strings, in order.
    public func stringMap(_ key: String) throws(ConfigPathError) -> [(String, String)]? {
        guard let v = value[key] else { return nil }
        guard case .map(let pairs) = v else { throw ConfigPathError.invalid(path: path + "." + key, expected: "a mapping") }
        var out: [(String, String)] = []
        for (k, item) in pairs {
            guard let s = item.string else { throw ConfigPathError.invalid(path: "\(path).\(key).\(k)", expected: "a text value") }
            out.append((k, s))
        }
        return out
    }

    /// A byte size such as `64KiB`, `16MB`, `1GB` (powers of two) or a plain number of bytes.
    public func byteSize(_ key: String) throws(ConfigPathError) -> Int? {
        guard let s = try string(key) else { return nil }
        guard let n = Self.parseByteSize(s) else { throw ConfigPathError.invalid(path: path + "." + key, expected: "a size like 64KiB, 16MB, 1GB or a number of bytes; got '\(s)'") }
        return n
    }

    /// `123`, `64KiB`, `16MiB`, `1GiB` (also `KB`/`MB`/`GB` meaning the same powers of two).
    public static func parseByteSize(_ s: String) -> Int? {
        let t = s.trimmingSpaces
        let units: [(String, Int)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1 << 10), ("MB", 1 << 20), ("GB", 1 << 30)]
        for (u, m) in units where t.hasSuffix(u) {
            guard let n = Int(String(t.dropLast(u.count)).trimmingSpaces), n >= 0, n <= Int.max / m else { return nil }
            return n * m
        }
        return Int(t)
    }

    /// The items of the list under `key`, each with its path (`inputs[2]`); nil when absent.
    public func list(_ key: String) throws(ConfigPathError) -> [ConfigReader]? {
        guard let v = value[key] else { return nil }
        switch v {
        case .null: return []
        case .list(let items): return items.enumerated().map { ConfigReader(value: $1, path: "\(path).\(key)[\($0)]") }
        default: throw ConfigPathError.invalid(path: path + "." + key, expected: "a list")
        }
    }

    /// Throws for the first key of this mapping not in `known` (a typo must not be ignored).
    public func rejectUnknownKeys(_ known: [String]) throws(ConfigPathError) {
        if case .null = value { return }
        guard case .map(let pairs) = value else { throw ConfigPathError.invalid(path: path, expected: "a mapping") }
        for (k, _) in pairs where !known.contains(k) {
            throw ConfigPathError.unknown(path: path, name: k, known: known)
        }
    }

    /// Duration text such as `500ms`, `10s`, `5m`, `1h` in nanoseconds.
    public func duration(_ key: String) throws(ConfigPathError) -> Int64? {
        guard let s = try string(key) else { return nil }
        guard let n = ConfigReader.parseDuration(s) else { throw ConfigPathError.invalid(path: path + "." + key, expected: "a duration like 500ms, 10s, 5m, 1h; got '\(s)'") }
        return n
    }

    public static func parseDuration(_ s: String) -> Int64? {
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86_400e9)]
        for (suffix, scale) in units where s.hasSuffix(suffix) {
            guard let v = Double(s.dropLast(suffix.count)), v >= 0, v * scale < 9e18 else { return nil }
            return Int64(v * scale)
        }
        return nil
    }
}

/// A configuration value that cannot be used: its path (`inputs[2].paths`) and why.
public enum ConfigPathError: Error, CustomStringConvertible, Equatable, Sendable {
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

extension ConfigValue {
    /// Converts a YAML node (anchors and aliases resolved by Yams).
    public init(_ node: Node) {
        switch node {
        case .scalar(let s): self = s.tag.description.hasSuffix(":null") && (s.string.isEmpty || s.string == "~" || s.string == "null") ? .null : .scalar(s.string)
        case .sequence(let seq): self = .list(seq.map { ConfigValue($0) })
        case .mapping(let m): self = .map(m.map { ($0.key.string ?? "", ConfigValue($0.value)) })
        case .alias: self = .null
        }
    }

    /// Parses YAML text into a tree; `path` names the source in errors.
    public static func parse(yaml text: String, path: String) throws(ConfigPathError) -> ConfigValue {
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch { throw ConfigPathError.failed(path: path, reason: "not valid YAML: \(error)") }
        return node.map { ConfigValue($0) } ?? .null
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}

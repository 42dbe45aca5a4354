/// The metadata map stored at the end of a MaxMind DB file.
///
/// Invariants (checked by `parse`): `recordSize` is 24, 28 or 32; `ipVersion` is 4 or 6;
/// `binaryFormatMajorVersion` is 2; `nodeCount` fits in 32 bits. `node_count`, `record_size`,
/// `ip_version` and `binary_format_major_version` are required; the other keys default to
/// empty / 0 when missing, but a key that is present with the wrong type is an error.
public struct MMDBMetadata: Sendable, Equatable {
    /// Number of nodes in the search tree.
    public var nodeCount: Int
    /// Bits per search-tree record (each node holds two records).
    public var recordSize: Int
    /// 4 for an IPv4-only tree (32 levels), 6 for an IPv6 tree (128 levels).
    public var ipVersion: Int
    /// Free-form name of the record layout, e.g. "GeoIP2-City" or "GeoLite2-ASN".
    public var databaseType: String
    /// Locale codes that localized names in records may use.
    public var languages: [String]
    /// Always 2 for a database this reader accepts.
    public var binaryFormatMajorVersion: Int
    /// Minor format version (informational).
    public var binaryFormatMinorVersion: Int
    /// Build time, seconds since the Unix epoch.
    public var buildEpoch: UInt64
    /// Description per language code.
    public var description: [String: String]

    /// The marker that precedes the metadata map: `"\xAB\xCD\xEFMaxMind.com"`.
    static let marker: [UInt8] = [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
    /// The metadata (with its marker) is at most this many bytes from the end of the file.
    static let maxSize = 128 * 1024

    /// Offset of the *last* metadata marker in `bytes`, searching only the final `maxSize`
    /// bytes; nil when there is none.
    static func markerOffset(in bytes: [UInt8]) -> Int? {
        let m = marker
        guard bytes.count >= m.count else { return nil }
        let lowest = max(0, bytes.count - maxSize)
        var i = bytes.count - m.count
        while i >= lowest {
            if bytes[i] == m[0] {
                var k = 1
                while k < m.count, bytes[i + k] == m[k] { k += 1 }
                if k == m.count { return i }
            }
            i -= 1
        }
        return nil
    }

    /// Validates the decoded metadata map of the database at `path`.
    static func parse(_ value: MMDBValue, path: String) throws(GeoIPError) -> MMDBMetadata {
        guard case .map(let m) = value else {
            throw .invalidMetadata(path: path, key: "(root)", expected: "a map")
        }
        func uint(_ key: String, required: Bool) throws(GeoIPError) -> UInt64 {
            guard let v = m[key] else {
                if required { throw .invalidMetadata(path: path, key: key, expected: "an unsigned integer (key is missing)") }
                return 0
            }
            guard case .uint(let u) = v else { throw .invalidMetadata(path: path, key: key, expected: "an unsigned integer") }
            return u
        }
        let nodeCount = try uint("node_count", required: true)
        guard nodeCount <= UInt64(UInt32.max) else {
            throw .invalidMetadata(path: path, key: "node_count", expected: "a value below 2^32")
        }
        let recordSize = try uint("record_size", required: true)
        guard recordSize == 24 || recordSize == 28 || recordSize == 32 else {
            throw .unsupportedRecordSize(path: path, recordSize: Int(min(recordSize, UInt64(Int32.max))))
        }
        let ipVersion = try uint("ip_version", required: true)
        guard ipVersion == 4 || ipVersion == 6 else {
            throw .invalidMetadata(path: path, key: "ip_version", expected: "4 or 6")
        }
        let major = try uint("binary_format_major_version", required: true)
        guard major == 2 else {
            throw .unsupportedFormatVersion(path: path, major: Int(min(major, UInt64(Int32.max))))
        }
        let minor = try uint("binary_format_minor_version", required: false)

        var databaseType = ""
        if let v = m["database_type"] {
            guard let s = v.stringValue else { throw .invalidMetadata(path: path, key: "database_type", expected: "a string") }
            databaseType = s
        }
        var languages: [String] = []
        if let v = m["languages"] {
            guard case .array(let items) = v else { throw .invalidMetadata(path: path, key: "languages", expected: "an array of strings") }
            for item in items {
                guard let s = item.stringValue else { throw .invalidMetadata(path: path, key: "languages", expected: "an array of strings") }
                languages.append(s)
            }
        }
        var description: [String: String] = [:]
        if let v = m["description"] {
            guard case .map(let d) = v else { throw .invalidMetadata(path: path, key: "description", expected: "a map of strings") }
            for (lang, text) in d {
                guard let s = text.stringValue else { throw .invalidMetadata(path: path, key: "description", expected: "a map of strings") }
                description[lang] = s
            }
        }
        return MMDBMetadata(
            nodeCount: Int(nodeCount), recordSize: Int(recordSize), ipVersion: Int(ipVersion),
            databaseType: databaseType, languages: languages, binaryFormatMajorVersion: Int(major),
            binaryFormatMinorVersion: Int(min(minor, UInt64(Int32.max))),
            buildEpoch: try uint("build_epoch", required: false), description: description)
    }
}

/// Why a MaxMind DB file could not be opened or a value in it could not be decoded.
///
/// Invariants: every case names the database `path` it came from (the `path:` given to
/// `GeoIPDatabase.init(bytes:path:)`), and every case raised while reading bytes carries the
/// absolute byte `offset` in the file where the problem was found, so a message can point a
/// person at the exact spot with `xxd`. `expected` strings describe what the reader needed there.
public enum GeoIPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or read; `errno` is the operating-system error number.
    case unreadableFile(path: String, errno: Int32)
    /// The marker `"\xAB\xCD\xEFMaxMind.com"` was not found in the last 128 KiB of the file
    /// (the file is not an MMDB, or it was truncated before or inside its metadata).
    case metadataNotFound(path: String)
    /// A metadata key is missing, has the wrong type or holds an impossible value.
    case invalidMetadata(path: String, key: String, expected: String)
    /// `record_size` is not one of the supported sizes 24, 28 and 32.
    case unsupportedRecordSize(path: String, recordSize: Int)
    /// `binary_format_major_version` is not 2.
    case unsupportedFormatVersion(path: String, major: Int)
    /// `node_count` and `record_size` describe a search tree (plus its 16-byte separator) that
    /// ends at `treeEnd`, beyond `limit`, the start of the metadata marker.
    case searchTreeExceedsFile(path: String, treeEnd: Int, limit: Int)
    /// The search-tree record stored at `offset` holds `value`, which is neither a node number,
    /// the "no data" value nor a data-section address, or the tree is deeper than the address.
    case invalidTreeRecord(path: String, offset: Int, value: Int, expected: String)
    /// A tree record or a data pointer leads to absolute offset `target`, which is outside the
    /// section `sectionStart..<sectionEnd` it must stay in. `offset` is where it was read.
    case offsetOutOfRange(path: String, offset: Int, target: Int, sectionStart: Int, sectionEnd: Int)
    /// A field starting at `offset` needs `needed` more bytes than its section holds.
    case truncated(path: String, offset: Int, needed: Int, expected: String)
    /// The control byte at `offset` encodes type number `typeNumber`, not allowed there.
    case invalidType(path: String, offset: Int, typeNumber: Int, expected: String)
    /// The field at `offset` declares a size that its type forbids (a 9-byte double, a map
    /// with more pairs than bytes left, ...).
    case invalidSize(path: String, offset: Int, size: Int, expected: String)
    /// The string at `offset` is not valid UTF-8.
    case invalidUTF8(path: String, offset: Int)
    /// The pointer at `offset` points at another pointer (forbidden by the format; this also
    /// stops a pointer that points at itself).
    case pointerToPointer(path: String, offset: Int, target: Int)
    /// Maps, arrays and followed pointers nest deeper than `limit` at `offset` (a pointer cycle
    /// through a map or array ends here).
    case depthLimitExceeded(path: String, offset: Int, limit: Int)
    /// Decoding one record visited more than `limit` values (pointers that fan out to the same
    /// container would otherwise cost exponential time).
    case valueLimitExceeded(path: String, offset: Int, limit: Int)

    /// The database path the error refers to.
    public var path: String {
        switch self {
        case .unreadableFile(let p, _), .metadataNotFound(let p), .invalidMetadata(let p, _, _),
             .unsupportedRecordSize(let p, _), .unsupportedFormatVersion(let p, _),
             .searchTreeExceedsFile(let p, _, _), .invalidTreeRecord(let p, _, _, _),
             .offsetOutOfRange(let p, _, _, _, _), .truncated(let p, _, _, _), .invalidType(let p, _, _, _),
             .invalidSize(let p, _, _, _), .invalidUTF8(let p, _), .pointerToPointer(let p, _, _),
             .depthLimitExceeded(let p, _, _), .valueLimitExceeded(let p, _, _):
            p
        }
    }

    /// One line naming the file, the byte offset when known, and what was expected.
    public var description: String {
        switch self {
        case .unreadableFile(let p, let e):
            "\(p): cannot read file (errno \(e))"
        case .metadataNotFound(let p):
            "\(p): no MaxMind DB metadata marker in the last 128 KiB (not an .mmdb file, or truncated)"
        case .invalidMetadata(let p, let key, let expected):
            "\(p): metadata key '\(key)': expected \(expected)"
        case .unsupportedRecordSize(let p, let size):
            "\(p): record_size \(size) is not supported (expected 24, 28 or 32)"
        case .unsupportedFormatVersion(let p, let major):
            "\(p): binary_format_major_version \(major) is not supported (expected 2)"
        case .searchTreeExceedsFile(let p, let end, let limit):
            "\(p): search tree and separator end at byte \(end), past the metadata at byte \(limit)"
        case .invalidTreeRecord(let p, let off, let value, let expected):
            "\(p): byte \(off): search-tree record value \(value); expected \(expected)"
        case .offsetOutOfRange(let p, let off, let target, let s, let e):
            "\(p): byte \(off): reference to byte \(target) is outside its section \(s)..<\(e)"
        case .truncated(let p, let off, let needed, let expected):
            "\(p): byte \(off): \(expected) needs \(needed) more byte(s) than the section holds"
        case .invalidType(let p, let off, let type, let expected):
            "\(p): byte \(off): type \(type) found; expected \(expected)"
        case .invalidSize(let p, let off, let size, let expected):
            "\(p): byte \(off): size \(size) found; expected \(expected)"
        case .invalidUTF8(let p, let off):
            "\(p): byte \(off): string is not valid UTF-8"
        case .pointerToPointer(let p, let off, let target):
            "\(p): byte \(off): pointer to byte \(target), which is itself a pointer"
        case .depthLimitExceeded(let p, let off, let limit):
            "\(p): byte \(off): values nest deeper than \(limit) levels (pointer cycle?)"
        case .valueLimitExceeded(let p, let off, let limit):
            "\(p): byte \(off): record has more than \(limit) values"
        }
    }
}

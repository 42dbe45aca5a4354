/// An error raised while decoding bytes that came from disk or the network.
///
/// Every decoder in Strata throws this type. It locates the fault: which structure
/// (`section`), at which absolute byte `offset`, and what was wrong (`detail`). Callers
/// that know the file fill in `file` so messages read like
/// `000042.seg: column chunk 3 of block 7 @0x1a2b40: checksum mismatch (stored 0x…, computed 0x…)`.
///
/// Invariant: `kind == .unsupportedVersion` means the bytes may be fine but come from a
/// newer writer; every other kind means the bytes are corrupt or truncated.
public struct FormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What class of fault this is.
    public enum Kind: String, Sendable, Equatable {
        /// Fewer bytes than the structure needs.
        case truncated
        /// A magic number did not match.
        case badMagic
        /// A stored xxhash64 differs from the one computed over the covered bytes.
        case checksumMismatch
        /// A version newer (or older) than this reader supports.
        case unsupportedVersion
        /// A field holds a value outside its allowed range, or lengths disagree.
        case invalid
        /// A compressed payload failed to decompress to its recorded size.
        case decompression
    }

    /// The class of fault.
    public var kind: Kind
    /// The structure being decoded, e.g. `"segment footer"` or `"WAL record"`.
    public var section: String
    /// Absolute byte offset of the structure (or field) at fault.
    public var offset: Int
    /// Human-readable explanation of what was expected and what was found.
    public var detail: String
    /// The file the bytes came from, when known.
    public var file: String?

    /// Creates an error; see the stored properties for the meaning of each argument.
    public init(_ kind: Kind, section: String, offset: Int, detail: String, file: String? = nil) {
        self.kind = kind
        self.section = section
        self.offset = offset
        self.detail = detail
        self.file = file
    }

    /// Whether the fault means the bytes are damaged (as opposed to merely too new).
    public var isCorruption: Bool { kind != .unsupportedVersion }

    /// Returns a copy located in `file`.
    public func inFile(_ file: String) -> FormatError {
        var copy = self
        copy.file = file
        return copy
    }

    /// Returns a copy with `prefix` prepended to the section name (e.g. `"block 7: "`).
    public func inSection(_ prefix: String) -> FormatError {
        var copy = self
        copy.section = prefix + copy.section
        return copy
    }

    /// Returns a copy whose offset is shifted by `base` (for decoders run over a sub-span).
    public func shifted(by base: Int) -> FormatError {
        var copy = self
        copy.offset += base
        return copy
    }

    public var description: String {
        let location = "\(section) @0x\(String(offset, radix: 16))"
        let text = "\(location): \(kind.rawValue): \(detail)"
        if let file { return "\(file): \(text)" }
        return text
    }

    /// Shorthand for a truncation error.
    public static func truncated(_ section: String, at offset: Int, needed: Int, available: Int) -> FormatError {
        FormatError(.truncated, section: section, offset: offset,
                    detail: "needed \(needed) bytes, only \(available) available")
    }

    /// Shorthand for a checksum mismatch.
    public static func checksum(_ section: String, at offset: Int, stored: UInt64, computed: UInt64) -> FormatError {
        FormatError(.checksumMismatch, section: section, offset: offset,
                    detail: "checksum mismatch (stored 0x\(hex16(stored)), computed 0x\(hex16(computed)))")
    }

    /// Shorthand for an out-of-range or inconsistent field.
    public static func invalid(_ section: String, at offset: Int, _ detail: String) -> FormatError {
        FormatError(.invalid, section: section, offset: offset, detail: detail)
    }
}

/// Formats `value` as 16 lowercase hex digits.
public func hex16(_ value: UInt64) -> String {
    let s = String(value, radix: 16)
    return String(repeating: "0", count: 16 - s.count) + s
}

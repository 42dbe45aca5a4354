/// The character encodings the agent reads log files in.
///
/// The agent tails files as raw bytes and checkpoints raw file offsets, so everything about an
/// encoding that the tailer needs works on raw bytes: the byte-order mark at file offset 0 (here),
/// where lines end (`TextEncoding+LineSplitting.swift`) and the conversion of one line to UTF-8
/// (`TextEncoding+UTF8Conversion.swift`).
///
/// UTF-16 text is a sequence of 2-byte code units that starts at the *text start offset*: 2 after
/// a UTF-16 byte-order mark, else 0. Every raw offset the tailer hands in is absolute in the file,
/// so the code-unit alignment of any chunk follows from `(chunkOffset - textStartOffset) & 1`.
public enum TextEncoding: String, Sendable, Hashable, CaseIterable {
    /// UTF-8 (also plain ASCII). Invalid sequences become U+FFFD on conversion.
    case utf8 = "utf-8"
    /// UTF-16, least significant byte first (Windows' "Unicode"); a newline is `0A 00`.
    case utf16LE = "utf-16le"
    /// UTF-16, most significant byte first; a newline is `00 0A`.
    case utf16BE = "utf-16be"
    /// ISO-8859-1: every byte is the code point of the same value (0x80–0x9F are C1 controls,
    /// not Windows-1252 punctuation).
    case latin1 = "iso-8859-1"

    /// The encoding a configuration names, case-insensitively: `utf-8`/`utf8`, `utf-16le`/
    /// `utf16le`, `utf-16be`/`utf16be`, `iso-8859-1`/`latin1`/`latin-1`; nil for anything else.
    public init?(configName: String) {
        switch configName.lowercased() {
        case "utf-8", "utf8": self = .utf8
        case "utf-16le", "utf16le": self = .utf16LE
        case "utf-16be", "utf16be": self = .utf16BE
        case "iso-8859-1", "latin1", "latin-1": self = .latin1
        default: return nil
        }
    }

    /// Bytes per code unit: 2 for UTF-16, 1 otherwise. Lines start and end on code-unit boundaries.
    public var codeUnitSizeInBytes: Int { self == .utf16LE || self == .utf16BE ? 2 : 1 }

    /// What a byte-order mark at file offset 0 says; see `detectBOM(atFileStart:)`.
    public enum BOMDetection: Sendable, Equatable {
        /// A byte-order mark of `encoding`, `lengthInBytes` long; the text starts right after it.
        case found(TextEncoding, lengthInBytes: Int)
        /// The file does not start with a byte-order mark.
        case none
        /// The bytes so far are a proper prefix of a byte-order mark (or there are none): read
        /// more. At end of file this means `.none`.
        case needMoreBytes
    }

    /// Looks for a byte-order mark at the start of a file: `EF BB BF` (UTF-8), `FF FE`
    /// (UTF-16LE) or `FE FF` (UTF-16BE).
    ///
    /// - Parameter prefix: the first bytes of the file (from offset 0); 3 are enough to decide.
    /// - Returns: the mark found, `.none`, or `.needMoreBytes` when `prefix` is too short to tell.
    public static func detectBOM(atFileStart prefix: UnsafeRawBufferPointer) -> BOMDetection {
        guard let first = prefix.first else { return .needMoreBytes }
        switch first {
        case 0xEF:
            guard prefix.count >= 2 else { return .needMoreBytes }
            guard prefix[1] == 0xBB else { return .none }
            guard prefix.count >= 3 else { return .needMoreBytes }
            return prefix[2] == 0xBF ? .found(.utf8, lengthInBytes: 3) : .none
        case 0xFF, 0xFE:
            guard prefix.count >= 2 else { return .needMoreBytes }
            if first == 0xFF && prefix[1] == 0xFE { return .found(.utf16LE, lengthInBytes: 2) }
            if first == 0xFE && prefix[1] == 0xFF { return .found(.utf16BE, lengthInBytes: 2) }
            return .none
        default:
            return .none
        }
    }

    /// The encoding to read a file in and the raw offset where its text starts, given the
    /// configured encoding and the file's first bytes. A byte-order mark always wins over the
    /// configuration (a file that starts `FF FE` is UTF-16LE whatever the config says) and is
    /// skipped; without one the configured encoding applies from offset 0.
    ///
    /// - Parameters:
    ///   - configured: the encoding the user configured for this file.
    ///   - fileStart: the first bytes of the file, from offset 0.
    ///   - atEndOfFile: true when `fileStart` is the whole file, so a short prefix is final.
    /// - Returns: nil when more bytes are needed to decide (only while `!atEndOfFile`).
    public static func resolve(configured: TextEncoding, fileStart: UnsafeRawBufferPointer, atEndOfFile: Bool)
        -> (encoding: TextEncoding, textStartOffset: Int64)? {
        switch detectBOM(atFileStart: fileStart) {
        case .found(let encoding, let length): return (encoding, Int64(length))
        case .none: return (configured, 0)
        case .needMoreBytes: return atEndOfFile ? (configured, 0) : nil
        }
    }
}

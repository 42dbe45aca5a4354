/// The on-disk format version shared by every Strata file (segment, WAL, manifest).
///
/// Readers accept every version in `supported`; writers always write `current`. Feature
/// checks use named predicates rather than scattered numeric comparisons. See
/// `format-spec/README.md#versioning`.
public struct FormatVersion: RawRepresentable, Comparable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Version 1: WAL, manifest and columnar segments with template-encoded messages.
    public static let v1 = FormatVersion(rawValue: 1)
    /// Version 2: segments gain the `_bloom` system column (a Bloom filter per block).
    public static let v2 = FormatVersion(rawValue: 2)
    /// Version 3: segments gain term indexes (sorted dictionaries with Roaring postings of block
    /// numbers) for keyword columns and low-cardinality string fields.
    public static let v3 = FormatVersion(rawValue: 3)
    /// Version 4: a block's Bloom filter keys a message token by where it occurs: wholly in the
    /// static text of the row's template (seed `m`), or in a variable region (seed `v`), so a
    /// query learns that no variable of the block holds a token without decompressing them.
    /// WAL and manifest bytes are unchanged.
    public static let v4 = FormatVersion(rawValue: 4)
    /// The version writers produce.
    public static let current = v4
    /// The versions readers accept (v1 and v2 were never released; their files are not read).
    public static let supported: ClosedRange<UInt16> = 3...4

    /// Whether a reader of this build can read files of version `raw`.
    public static func isSupported(_ raw: UInt16) -> Bool { supported.contains(raw) }

    public static func < (a: FormatVersion, b: FormatVersion) -> Bool { a.rawValue < b.rawValue }
    public var description: String { "v\(rawValue)" }

    /// Throws `unsupportedVersion` unless `raw` is readable.
    public static func check(_ raw: UInt16, section: String, offset: Int) throws(FormatError) {
        if !isSupported(raw) {
            throw FormatError(.unsupportedVersion, section: section, offset: offset,
                              detail: "format version \(raw) not supported (this build reads \(supported.lowerBound)...\(supported.upperBound))")
        }
    }
}

import CLZ4
import CZstd

/// The block compression codecs a column chunk may use. Stored as one byte on disk.
///
/// Raw values are part of the format contract: never renumber.
public enum Codec: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Bytes stored as they are.
    case none = 0
    /// LZ4 block format (no frame): fast to decode, used for small hot columns.
    case lz4 = 1
    /// Zstandard frame: the default for bulky columns.
    case zstd = 2

    public var description: String {
        switch self {
        case .none: "none"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

/// Compression and decompression over byte spans.
///
/// Decompression always knows the exact decompressed size (stored next to the payload)
/// and fails unless the codec produces exactly that many bytes.
public enum Compressor {
    /// Compresses `input` with `codec`; `level` applies to zstd only.
    public static func compress(_ input: UnsafeRawBufferPointer, codec: Codec, level: Int32 = 3) -> [UInt8] {
        switch codec {
        case .none:
            return Array(input)
        case .zstd:
            let cap = ZSTD_compressBound(input.count)
            // Uninitialised capacity: zero-filling a bound-sized buffer per chunk showed up as page clearing.
            return [UInt8](unsafeUninitializedCapacity: cap) { o, count in
                let n = ZSTD_compress(o.baseAddress, cap, input.baseAddress, input.count, level)
                precondition(ZSTD_isError(n) == 0, "BUG: zstd compress failed")
                count = n
            }
        case .lz4:
            precondition(input.count < Int(Int32.max), "BUG: lz4 input over 2 GiB")
            let cap = Int(LZ4_compressBound(Int32(input.count)))
            return [UInt8](unsafeUninitializedCapacity: max(cap, 1)) { o, count in
                let n = LZ4_compress_default(input.baseAddress?.assumingMemoryBound(to: CChar.self),
                                             UnsafeMutableRawPointer(o.baseAddress!).assumingMemoryBound(to: CChar.self),
                                             Int32(input.count), Int32(cap))
                precondition(n > 0 || input.isEmpty, "BUG: lz4 compress failed")
                count = Int(n)
            }
        }
    }

    /// Compresses an array.
    public static func compress(_ input: [UInt8], codec: Codec, level: Int32 = 3) -> [UInt8] {
        input.withUnsafeBytes { compress($0, codec: codec, level: level) }
    }

    /// Decompresses `input` into exactly `rawLength` bytes.
    ///
    /// - Throws: `FormatError(.decompression)` when the payload is damaged or its size differs.
    public static func decompress(_ input: UnsafeRawBufferPointer, codec: Codec, rawLength: Int,
                                  section: String, offset: Int) throws(FormatError) -> [UInt8] {
        switch codec {
        case .none:
            guard input.count == rawLength else {
                throw FormatError(.decompression, section: section, offset: offset,
                                  detail: "stored \(input.count) bytes, expected \(rawLength)")
            }
            return Array(input)
        case .zstd:
            var out = [UInt8](repeating: 0, count: rawLength)
            let n = out.withUnsafeMutableBytes { o in
                ZSTD_decompress(o.baseAddress, rawLength, input.baseAddress, input.count)
            }
            if ZSTD_isError(n) != 0 {
                let name = String(cString: ZSTD_getErrorName(n))
                throw FormatError(.decompression, section: section, offset: offset, detail: "zstd: \(name)")
            }
            guard n == rawLength else {
                throw FormatError(.decompression, section: section, offset: offset,
                                  detail: "zstd produced \(n) bytes, expected \(rawLength)")
            }
            return out
        case .lz4:
            guard rawLength < Int(Int32.max), input.count < Int(Int32.max) else {
                throw FormatError(.decompression, section: section, offset: offset, detail: "lz4 block over 2 GiB")
            }
            if rawLength == 0 {
                guard input.count <= 1 else {
                    throw FormatError(.decompression, section: section, offset: offset, detail: "lz4 payload for empty block")
                }
                return []
            }
            var out = [UInt8](repeating: 0, count: rawLength)
            let n = out.withUnsafeMutableBytes { o in
                LZ4_decompress_safe(input.baseAddress?.assumingMemoryBound(to: CChar.self),
                                    o.baseAddress!.assumingMemoryBound(to: CChar.self),
                                    Int32(input.count), Int32(rawLength))
            }
            guard n == Int32(rawLength) else {
                throw FormatError(.decompression, section: section, offset: offset,
                                  detail: "lz4 produced \(n) bytes, expected \(rawLength)")
            }
            return out
        }
    }
}

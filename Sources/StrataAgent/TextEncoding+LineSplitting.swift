#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finding line ends in raw file bytes, in any `TextEncoding`.
///
/// Offsets are raw byte offsets because the tailer checkpoints raw file offsets: a line's end
/// offset is where reading resumes. A newline is the code unit U+000A: byte `0A` in UTF-8 and
/// Latin-1, `0A 00` in UTF-16LE and `00 0A` in UTF-16BE, and in UTF-16 only at a code-unit
/// boundary (`0A 00` straddling two code units, as in U+0A00 U+00xx, is not a newline). The
/// boundary is derived from absolute offsets, so chunks may start at any byte, odd or even.
extension TextEncoding {
    /// The offset in `chunk` just past the first newline at or after `start`, or nil if none is
    /// complete in `chunk` (in UTF-16 a newline code unit needs both its bytes).
    ///
    /// - Parameters:
    ///   - chunk: raw file bytes.
    ///   - start: where to start looking, in `chunk` (0...chunk.count). In UTF-16 the first code
    ///     unit considered is the first one that starts at or after `start`.
    ///   - chunkOffset: the absolute file offset of `chunk[0]`.
    ///   - textStartOffset: the absolute offset where code units start (the BOM length, else 0);
    ///     see `TextEncoding.resolve(configured:fileStart:atEndOfFile:)`.
    /// - Returns: an offset `e` with `start < e <= chunk.count`; the line is `chunk[lineStart..<e]`
    ///   including its newline.
    /// - Complexity: O(`chunk.count - start`), memchr-speed.
    public func nextLineEnd(in chunk: UnsafeRawBufferPointer, from start: Int = 0, chunkOffset: Int64, textStartOffset: Int64) -> Int? {
        precondition(start >= 0 && start <= chunk.count, "BUG: start \(start) outside a chunk of \(chunk.count) bytes")
        guard let base = chunk.baseAddress else { return nil }
        let n = chunk.count
        switch self {
        case .utf8, .latin1:
            guard start < n, let hit = memchr(base + start, 0x0A, n - start) else { return nil }
            return base.distance(to: UnsafeRawPointer(hit)) + 1
        case .utf16LE, .utf16BE:
            // Index i starts a code unit iff (i & 1) == unitParity.
            let unitParity = Self.unitParity(chunkOffset: chunkOffset, textStartOffset: textStartOffset)
            let bigEndian = self == .utf16BE
            var from = start
            while from < n, let hit = memchr(base + from, 0x0A, n - from) {
                let j = base.distance(to: UnsafeRawPointer(hit))
                from = j + 1
                // The 0A byte is the unit's first byte in LE and its second in BE.
                let unitStart = bigEndian ? j - 1 : j
                guard unitStart >= start, unitStart & 1 == unitParity, unitStart + 1 < n else { continue }
                let other = bigEndian ? chunk[unitStart] : chunk[unitStart + 1]
                if other == 0 { return unitStart + 2 }
            }
            return nil
        }
    }

    /// Calls `body` with the end offset (just past the newline) of every complete line in
    /// `chunk`, in increasing order; the bytes after the last one are an incomplete line.
    ///
    /// - Parameters: as for `nextLineEnd(in:from:chunkOffset:textStartOffset:)`.
    /// - Complexity: O(`chunk.count`).
    public func forEachLineEnd(in chunk: UnsafeRawBufferPointer, chunkOffset: Int64, textStartOffset: Int64, _ body: (Int) throws -> Void) rethrows {
        var start = 0
        while let end = nextLineEnd(in: chunk, from: start, chunkOffset: chunkOffset, textStartOffset: textStartOffset) {
            try body(end)
            start = end
        }
    }

    /// Where to cut a line that has no newline within `limit` bytes: the largest offset
    /// `c <= min(limit, chunk.count)` that does not split a character. In UTF-16 `c` is on a
    /// code-unit boundary and not inside a surrogate pair; in UTF-8 `c` is not inside a
    /// multi-byte sequence (backing off at most 3 bytes, so garbage cannot stall the tailer).
    ///
    /// - Parameters:
    ///   - chunk: raw bytes starting at a line start.
    ///   - limit: the most bytes the line may have.
    ///   - chunkOffset, textStartOffset: as for `nextLineEnd`.
    /// - Returns: a cut that is > 0 whenever `min(limit, chunk.count) >= 4`.
    public func lineCut(in chunk: UnsafeRawBufferPointer, atMost limit: Int, chunkOffset: Int64, textStartOffset: Int64) -> Int {
        let n = chunk.count
        let c = max(0, min(limit, n))
        switch self {
        case .latin1:
            return c
        case .utf8:
            var cut = c
            if cut < n {
                while cut > 0, c - cut < 3, chunk[cut] & 0xC0 == 0x80 { cut -= 1 }
            } else {
                cut -= UTF8Repair.incompleteSuffixLength(UnsafeRawBufferPointer(rebasing: chunk[0..<cut]))
            }
            return cut > 0 ? cut : c
        case .utf16LE, .utf16BE:
            let unitParity = Self.unitParity(chunkOffset: chunkOffset, textStartOffset: textStartOffset)
            var cut = c
            if cut & 1 != unitParity { cut -= 1 }
            guard cut >= 2 else { return max(cut, 0) }
            let unit = self == .utf16LE
                ? UInt16(chunk[cut - 1]) << 8 | UInt16(chunk[cut - 2])
                : UInt16(chunk[cut - 2]) << 8 | UInt16(chunk[cut - 1])
            if unit & 0xFC00 == 0xD800 && cut - 2 > 0 { cut -= 2 }   // keep a high surrogate with its low half
            return cut
        }
    }

    /// The parity of the chunk indices at which UTF-16 code units start.
    @inline(__always)
    static func unitParity(chunkOffset: Int64, textStartOffset: Int64) -> Int {
        Int((chunkOffset &- textStartOffset) & 1)
    }
}

/// The Snappy block format (https://github.com/google/snappy/blob/main/format_description.txt),
/// decompression only: a varint of the uncompressed length, then literals and back-references
/// (copies with 1-, 2- or 4-byte offsets, possibly overlapping their own output).
///
/// Invariant: the output is exactly the declared length and at most `limit` bytes; every
/// literal and copy is bounds-checked, so hostile input fails cleanly.
enum Snappy {
    static func decompress(_ b: UnsafeRawBufferPointer, limit: Int) throws(ReceiverError) -> [UInt8] {
        var pos = 0
        var length = 0
        var shift = 0
        while true {
            guard pos < b.count, shift <= 28 else { throw ReceiverError("snappy: bad length header") }
            let x = b[pos]
            pos += 1
            length |= Int(x & 0x7F) << shift
            if x & 0x80 == 0 { break }
            shift += 7
        }
        guard length <= limit else { throw ReceiverError("snappy: \(length) bytes uncompressed exceed the limit of \(limit)") }
        var out = [UInt8]()
        out.reserveCapacity(length)
        func le(_ n: Int) throws(ReceiverError) -> Int {
            guard pos + n <= b.count else { throw ReceiverError("snappy: truncated at byte \(pos)") }
            var v = 0
            for k in 0..<n { v |= Int(b[pos + k]) << (8 * k) }
            pos += n
            return v
        }
        while pos < b.count {
            let tag = b[pos]
            pos += 1
            switch tag & 3 {
            case 0:
                var n = Int(tag >> 2)
                if n >= 60 { n = try le(n - 59) }
                n += 1
                guard pos + n <= b.count, out.count + n <= length else { throw ReceiverError("snappy: literal past the end at byte \(pos)") }
                out.append(contentsOf: b[pos..<(pos + n)])
                pos += n
            default:
                let n: Int, offset: Int
                switch tag & 3 {
                case 1:
                    n = 4 + Int((tag >> 2) & 7)
                    offset = Int(tag >> 5) << 8 | (try le(1))
                case 2:
                    n = Int(tag >> 2) + 1
                    offset = try le(2)
                default:
                    n = Int(tag >> 2) + 1
                    offset = try le(4)
                }
                guard offset > 0, offset <= out.count, out.count + n <= length else {
                    throw ReceiverError("snappy: copy of \(n) at offset \(offset) is out of range at byte \(pos)")
                }
                let start = out.count - offset
                for k in 0..<n { out.append(out[start + k]) }   // may overlap what it appends
            }
        }
        guard out.count == length else { throw ReceiverError("snappy: \(out.count) bytes decoded, \(length) declared") }
        return out
    }
}

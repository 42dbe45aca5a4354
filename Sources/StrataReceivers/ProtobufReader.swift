/// A bounds-checked reader of the protobuf wire format (varint, 64-bit, length-delimited and
/// 32-bit fields; groups are refused). Every read fails cleanly past the end of its buffer.
struct ProtobufReader {
    let buf: UnsafeRawBufferPointer
    var pos = 0

    init(_ buf: UnsafeRawBufferPointer) { self.buf = buf }

    var atEnd: Bool { pos >= buf.count }

    mutating func varint() throws(ReceiverError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < buf.count else { throw ReceiverError("protobuf: truncated varint at byte \(pos)") }
            let b = buf[pos]
            pos += 1
            guard shift < 64 else { throw ReceiverError("protobuf: varint longer than 10 bytes at byte \(pos)") }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }

    /// The next field's number and wire type.
    mutating func tag() throws(ReceiverError) -> (field: Int, wire: Int) {
        let t = try varint()
        let field = Int(truncatingIfNeeded: t >> 3)
        guard field > 0 && field < (1 << 29) else { throw ReceiverError("protobuf: invalid field number at byte \(pos)") }
        return (field, Int(t & 7))
    }

    mutating func fixed64() throws(ReceiverError) -> UInt64 { try fixed(UInt64.self) }

    mutating func fixed32() throws(ReceiverError) -> UInt32 { try fixed(UInt32.self) }

    /// A little-endian fixed-width field.
    mutating func fixed<T: FixedWidthInteger>(_: T.Type) throws(ReceiverError) -> T {
        let n = MemoryLayout<T>.size
        guard pos + n <= buf.count else { throw ReceiverError("protobuf: truncated \(n * 8)-bit field at byte \(pos)") }
        var v: T = 0
        for k in 0..<n { v |= T(buf[pos + k]) << (8 * k) }
        pos += n
        return v
    }

    mutating func bytes() throws(ReceiverError) -> UnsafeRawBufferPointer {
        let n = try varint()
        guard n <= UInt64(buf.count - pos) else { throw ReceiverError("protobuf: length \(n) past the end at byte \(pos)") }
        let r = UnsafeRawBufferPointer(rebasing: buf[pos..<(pos + Int(n))])
        pos += Int(n)
        return r
    }

    mutating func string() throws(ReceiverError) -> String { String(decoding: try bytes(), as: UTF8.self) }

    /// Skips a field of `wire` type.
    mutating func skip(_ wire: Int) throws(ReceiverError) {
        switch wire {
        case 0: _ = try varint()
        case 1: _ = try fixed64()
        case 2: _ = try bytes()
        case 5: _ = try fixed32()
        default: throw ReceiverError("protobuf: unsupported wire type \(wire) at byte \(pos)")
        }
    }
}

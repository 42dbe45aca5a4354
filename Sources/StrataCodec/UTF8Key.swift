/// A String compared and hashed by its UTF-8 bytes.
///
/// Swift's `String` equality is Unicode canonical equivalence ("é" == "e\u{301}"), which would
/// merge distinct stored values; storage dictionaries must compare bytes. Small strings stay
/// inline, so unlike `ByteString` this needs no allocation per key.
public struct UTF8Key: Hashable, Sendable {
    public let string: String

    @inlinable public init(_ string: String) { self.string = string }

    @inlinable public static func == (a: UTF8Key, b: UTF8Key) -> Bool { sameBytes(a.string, b.string) }

    /// Whether `a` and `b` have the same UTF-8 bytes (word-wise compare; no copies for native strings).
    @inlinable public static func sameBytes(_ a: String, _ b: String) -> Bool {
        let n = a.utf8.count
        guard n == b.utf8.count else { return false }
        if let same = a.utf8.withContiguousStorageIfAvailable({ p in
            b.utf8.withContiguousStorageIfAvailable { q in equal(UnsafeRawBufferPointer(p), UnsafeRawBufferPointer(q)) }
        }), let same { return same }
        return a.utf8.elementsEqual(b.utf8)
    }

    /// Byte equality of two buffers of the same length, eight bytes at a time.
    @inlinable static func equal(_ p: UnsafeRawBufferPointer, _ q: UnsafeRawBufferPointer) -> Bool {
        let n = p.count
        var i = 0
        while i + 8 <= n {
            if p.loadUnaligned(fromByteOffset: i, as: UInt64.self) != q.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        while i < n {
            if p[i] != q[i] { return false }
            i += 1
        }
        return true
    }

    @inlinable public func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

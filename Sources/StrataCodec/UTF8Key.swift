/// A String compared and hashed by its UTF-8 bytes.
///
/// Swift's `String` equality is Unicode canonical equivalence ("é" == "e\u{301}"), which would
/// merge distinct stored values; storage dictionaries must compare bytes. Small strings stay
/// inline, so unlike `ByteString` this needs no allocation per key.
public struct UTF8Key: Hashable, Sendable {
    public let string: String

    @inlinable public init(_ string: String) { self.string = string }

    @inlinable public static func == (a: UTF8Key, b: UTF8Key) -> Bool {
        guard a.string.utf8.count == b.string.utf8.count else { return false }
        var x = a.string, y = b.string
        return x.withUTF8 { p in y.withUTF8 { q in p.elementsEqual(q) } }
    }

    @inlinable public func hash(into hasher: inout Hasher) {
        var s = string
        s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

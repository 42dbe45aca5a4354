/// A byte array used as a dictionary key, hashed in one call over its bytes.
///
/// `[UInt8]`'s own `Hashable` conformance feeds the hasher one element at a time, which made
/// dictionary building the hottest part of segment writing; this hashes the whole span at once.
public struct ByteString: Hashable, Sendable {
    public var bytes: [UInt8]

    @inlinable public init(_ bytes: [UInt8]) { self.bytes = bytes }

    @inlinable public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    @inlinable public static func == (a: ByteString, b: ByteString) -> Bool {
        guard a.bytes.count == b.bytes.count else { return false }
        return a.bytes.withUnsafeBytes { p in b.bytes.withUnsafeBytes { q in p.elementsEqual(q) } }
    }
}

import StrataIO
/// A MaxMind DB (`.mmdb`, format 2.x) held in memory: GeoIP2/GeoLite2 City, Country, ASN and
/// any other database in the published format.
///
/// Invariants, established by `init` and never changed: the metadata is valid (see
/// `MMDBMetadata`); the search tree (`nodeCount` nodes of `recordSize * 2 / 8` bytes) plus its
/// 16-byte separator ends before the metadata marker; the data section is the bytes between the
/// separator and the marker. Lookups never trap on bad bytes: every offset is checked and a
/// corrupt record throws `GeoIPError`. The object is immutable and safe to share across tasks.
///
/// Address handling: IPv4 lookups in an IPv6 tree start at the node reached by 96 zero bits
/// (`::/96`, computed once). IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`) are looked up as
/// their IPv4 address in both kinds of tree; other IPv6 addresses find nothing in an IPv4 tree.
public final class GeoIPDatabase: Sendable {
    /// Where the bytes came from; used in every error message.
    public let path: String
    /// The validated metadata.
    public let metadata: MMDBMetadata

    let bytes: [UInt8]
    let nodeCount: Int
    let recordSize: Int
    let nodeBytes: Int
    let data: MMDBDecoder
    /// Record value reached after 96 zero bits in an IPv6 tree (0 in an IPv4 tree), the depth
    /// it was reached at, and the file offset of the node it was read from.
    let ipv4Start: Int
    let ipv4StartDepth: Int
    let ipv4StartOffset: Int

    /// Opens a database from its complete file contents. `path` is only used in errors.
    public init(bytes: [UInt8], path: String) throws(GeoIPError) {
        guard let marker = MMDBMetadata.markerOffset(in: bytes) else { throw .metadataNotFound(path: path) }
        let metaStart = marker + MMDBMetadata.marker.count
        let metaDecoder = MMDBDecoder(bytes: bytes, sectionStart: metaStart, sectionEnd: bytes.count, path: path)
        let meta = try MMDBMetadata.parse(try metaDecoder.decode(at: metaStart), path: path)
        let nodeBytes = meta.recordSize / 4
        let treeEnd = meta.nodeCount * nodeBytes + 16
        guard treeEnd <= marker else { throw .searchTreeExceedsFile(path: path, treeEnd: treeEnd, limit: marker) }

        var node = 0, depth = 0, from = 0
        if meta.ipVersion == 6 {
            while depth < 96, node < meta.nodeCount {
                from = node * nodeBytes
                node = Self.record(bytes, node: node, right: 0, nodeBytes: nodeBytes)
                depth += 1
            }
        }
        self.path = path
        self.metadata = meta
        self.bytes = bytes
        self.nodeCount = meta.nodeCount
        self.recordSize = meta.recordSize
        self.nodeBytes = nodeBytes
        self.data = MMDBDecoder(bytes: bytes, sectionStart: treeEnd, sectionEnd: marker, path: path)
        self.ipv4Start = node
        self.ipv4StartDepth = depth
        self.ipv4StartOffset = from
    }

    /// Reads the whole file at `path` and opens it.
    public convenience init(path: String) throws(GeoIPError) {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch { throw .unreadableFile(path: path, errno: error.errno) }
        try self.init(bytes: bytes, path: path)
    }

    /// The record for the address written in `ip` (IPv4 dotted quad or IPv6 text). Returns nil
    /// when the text is not an address or the database has no data for it; throws only when the
    /// database bytes on the way are corrupt.
    public func lookup(_ ip: String) throws(GeoIPError) -> MMDBValue? {
        guard let address = IPAddress(ip) else { return nil }
        return try lookup(address)
    }

    /// The record for an address given as 4 (IPv4) or 16 (IPv6) network-order bytes; other
    /// lengths give nil.
    public func lookup(address: [UInt8]) throws(GeoIPError) -> MMDBValue? {
        guard let a = IPAddress(bytes: address) else { return nil }
        return try lookup(a)
    }

    /// Only the part of the record for `ip` found at `path` (map keys and array indexes), decoded
    /// without building the rest of the record. Nil when the address, or the path, is absent.
    public func lookup(_ ip: String, path: [MMDBPathComponent]) throws(GeoIPError) -> MMDBValue? {
        guard let address = IPAddress(ip), let offset = try dataOffset(for: address).offset else { return nil }
        guard let f = try data.locate(path.map(MMDBByteStep.init), from: offset) else { return nil }
        return try data.decode(f)
    }

    /// Length of the network prefix that matched `ip` (counted in IPv4 bits for IPv4 addresses)
    /// and whether it holds data; nil for text that is not an address.
    public func prefixLength(_ ip: String) throws(GeoIPError) -> (bits: Int, hasData: Bool)? {
        guard let address = IPAddress(ip) else { return nil }
        let r = try dataOffset(for: address)
        return (r.prefixLength, r.offset != nil)
    }

    func lookup(_ address: IPAddress) throws(GeoIPError) -> MMDBValue? {
        guard let offset = try dataOffset(for: address).offset else { return nil }
        return try data.decode(at: offset)
    }

    /// Walks the search tree for `address`: the absolute offset of its record in the data section
    /// (nil when the address has no data) and the matched prefix length.
    func dataOffset(for address: IPAddress) throws(GeoIPError) -> (offset: Int?, prefixLength: Int) {
        var a = address
        if let v4 = a.mappedIPv4 { a = v4 }
        var node = 0, from = 0, depth = 0
        if a.bitCount == 32, metadata.ipVersion == 6 {
            node = ipv4Start
            from = ipv4StartOffset
        } else if a.bitCount == 128, metadata.ipVersion == 4 {
            return (nil, 0)
        }
        while node < nodeCount {
            guard depth < a.bitCount else {
                throw .invalidTreeRecord(path: path, offset: from, value: node,
                                         expected: "a data record within \(a.bitCount) levels of the tree")
            }
            from = node * nodeBytes
            node = Self.record(bytes, node: node, right: a.bit(depth), nodeBytes: nodeBytes)
            depth += 1
        }
        // An IPv4 walk in an IPv6 tree starts below ::/96, so `depth` already counts IPv4 bits.
        let prefix = depth
        if node == nodeCount { return (nil, prefix) }
        guard node >= nodeCount + 16 else {
            throw .invalidTreeRecord(path: path, offset: from, value: node,
                                     expected: "a node number below \(nodeCount), \(nodeCount) (no data) or at least \(nodeCount + 16)")
        }
        let target = data.sectionStart + (node - nodeCount - 16)
        guard target < data.sectionEnd else {
            throw .offsetOutOfRange(path: path, offset: from, target: target,
                                    sectionStart: data.sectionStart, sectionEnd: data.sectionEnd)
        }
        return (target, prefix)
    }

    /// Record `right` (0 = left, 1 = right) of node `node`. The caller guarantees the node is in
    /// the tree, which `init` checked lies inside `bytes`.
    @inline(__always)
    static func record(_ b: [UInt8], node: Int, right: Int, nodeBytes: Int) -> Int {
        let o = node * nodeBytes
        switch nodeBytes {
        case 6:
            let p = o + right * 3
            return Int(b[p]) << 16 | Int(b[p + 1]) << 8 | Int(b[p + 2])
        case 7:
            if right == 0 { return Int(b[o + 3] >> 4) << 24 | Int(b[o]) << 16 | Int(b[o + 1]) << 8 | Int(b[o + 2]) }
            return Int(b[o + 3] & 0x0F) << 24 | Int(b[o + 4]) << 16 | Int(b[o + 5]) << 8 | Int(b[o + 6])
        default:
            let p = o + right * 4
            return Int(b[p]) << 24 | Int(b[p + 1]) << 16 | Int(b[p + 2]) << 8 | Int(b[p + 3])
        }
    }
}

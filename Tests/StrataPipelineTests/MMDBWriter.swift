@testable import StrataPipeline

/// A value to write, with its wire type spelled out (the reader folds the unsigned widths
/// together, the writer must pick one). Maps keep their pair order.
indirect enum WValue {
    case string(String)
    case double(Double)
    case float(Float)
    case bytes([UInt8])
    case uint16(UInt16)
    case uint32(UInt32)
    case uint64(UInt64)
    case uint128(high: UInt64, low: UInt64)
    case int32(Int32)
    case bool(Bool)
    case map([(String, WValue)])
    case array([WValue])
}

/// Test support: writes a MaxMind DB in the published format (search tree, 16-byte separator,
/// data section, marker, metadata map), so the reader is tested against real files without
/// shipping binary fixtures.
///
/// Invariants: networks inserted later override earlier ones where they overlap; a data record
/// that a more specific network splits is copied into both halves. With `dedupStrings`, every
/// string (values and map keys) after its first occurrence is written as a pointer to it.
struct MMDBWriter {
    var ipVersion: Int
    var recordSize: Int
    var databaseType = "Strata-Test"
    var dedupStrings = true
    var buildEpoch: UInt64 = 1_700_000_000
    /// Replaces (or, with nil, removes) metadata keys, to produce invalid files.
    var metadataOverrides: [String: WValue?] = [:]

    /// What a search-tree record holds while the tree is being built.
    enum Record { case empty, node(Int), data(Int) }

    private var nodes: [[Record]] = [[.empty, .empty]]
    private var values: [WValue] = []

    init(ipVersion: Int, recordSize: Int) {
        self.ipVersion = ipVersion
        self.recordSize = recordSize
    }

    /// Maps network `cidr` ("81.2.69.0/24", "2001:db8::/32") to `value`. IPv4 networks go under
    /// `::/96` in an IPv6 tree.
    mutating func insert(_ cidr: String, _ value: WValue) {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let address = IPAddress(String(parts[0])), var prefix = Int(parts[1]) else {
            fatalError("bad test network \(cidr)")
        }
        var bits: [Int] = []
        if address.bitCount == 32 && ipVersion == 6 {
            bits = Array(repeating: 0, count: 96)
            prefix += 96
        }
        bits += (0..<address.bitCount).map { address.bit($0) }
        precondition(address.bitCount == 32 || ipVersion == 6, "IPv6 network in an IPv4 tree")
        values.append(value)
        let valueIndex = values.count - 1
        var node = 0
        for depth in 0..<(prefix - 1) {
            let side = bits[depth]
            switch nodes[node][side] {
            case .node(let next):
                node = next
            case .empty, .data:
                let inherited = nodes[node][side]
                nodes.append([inherited, inherited])
                nodes[node][side] = .node(nodes.count - 1)
                node = nodes.count - 1
            }
        }
        nodes[node][bits[prefix - 1]] = .data(valueIndex)
    }

    /// Where things ended up in a built file.
    struct Built {
        var bytes: [UInt8]
        var nodeCount: Int
        var dataStart: Int
        var markerStart: Int
    }

    /// The complete file.
    func build() -> Built {
        var data: [UInt8] = []
        var cache: [String: Int]? = dedupStrings ? [:] : nil
        var offsets: [Int] = []
        for v in values {
            offsets.append(data.count)
            Self.encode(v, into: &data, cache: &cache)
        }
        let n = nodes.count
        let records = nodes.map { node in
            node.map { r -> Int in
                switch r {
                case .empty: n
                case .node(let k): k
                case .data(let d): n + 16 + offsets[d]
                }
            }
        }
        var metadata: [(String, WValue)] = [
            ("node_count", .uint32(UInt32(n))), ("record_size", .uint16(UInt16(recordSize))),
            ("ip_version", .uint16(UInt16(ipVersion))), ("database_type", .string(databaseType)),
            ("languages", .array([.string("en"), .string("de")])),
            ("binary_format_major_version", .uint16(2)), ("binary_format_minor_version", .uint16(0)),
            ("build_epoch", .uint64(buildEpoch)), ("description", .map([("en", .string("Strata test database"))])),
        ]
        for (key, replacement) in metadataOverrides {
            metadata.removeAll { $0.0 == key }
            if let replacement { metadata.append((key, replacement)) }
        }
        return Self.assemble(records: records, recordSize: recordSize, data: data, metadata: .map(metadata))
    }

    /// Lays out a file from explicit tree records (pairs of left/right values), raw data-section
    /// bytes and a metadata value.
    static func assemble(records: [[Int]], recordSize: Int, data: [UInt8], metadata: WValue) -> Built {
        var out: [UInt8] = []
        for r in records { out += encodeNode(left: r[0], right: r[1], recordSize: recordSize) }
        out += [UInt8](repeating: 0, count: 16)
        let dataStart = out.count
        out += data
        let markerStart = out.count
        out += MMDBMetadata.marker
        out += encoded(metadata)
        return Built(bytes: out, nodeCount: records.count, dataStart: dataStart, markerStart: markerStart)
    }

    /// Minimal valid metadata for a hand-made tree of `nodeCount` nodes.
    static func rawMetadata(nodeCount: Int, recordSize: Int, ipVersion: Int = 4, extra: [(String, WValue)] = []) -> WValue {
        .map([
            ("node_count", .uint32(UInt32(nodeCount))), ("record_size", .uint16(UInt16(recordSize))),
            ("ip_version", .uint16(UInt16(ipVersion))), ("database_type", .string("Raw")),
            ("binary_format_major_version", .uint16(2)), ("binary_format_minor_version", .uint16(0)),
            ("build_epoch", .uint64(1)),
        ] + extra)
    }

    /// A file from hand-made tree records (left/right pairs) and data-section bytes.
    static func raw(records: [[Int]], recordSize: Int, data: [UInt8], ipVersion: Int = 4) -> Built {
        assemble(records: records, recordSize: recordSize, data: data,
                 metadata: rawMetadata(nodeCount: records.count, recordSize: recordSize, ipVersion: ipVersion))
    }

    /// A file whose one-node IPv4 tree sends every address to data offset 0, for testing the
    /// decoder on hand-made data sections (which start at byte 22 with 24-bit records).
    static func singleRecord(data: [UInt8], recordSize: Int = 24) -> Built {
        raw(records: [[17, 17]], recordSize: recordSize, data: data)
    }

    static func encodeNode(left: Int, right: Int, recordSize: Int) -> [UInt8] {
        func be(_ v: Int, _ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: v >> (8 * (n - 1 - $0))) } }
        switch recordSize {
        case 24: return be(left, 3) + be(right, 3)
        case 28: return be(left, 3) + [UInt8((left >> 24 & 0xF) << 4 | (right >> 24 & 0xF))] + be(right, 3)
        default: return be(left, 4) + be(right, 4)
        }
    }

    // MARK: - Data section encoding

    /// Control byte(s) for a field of wire `type` (1...15) and `size`.
    static func control(type: Int, size: Int) -> [UInt8] {
        var sizeBits = size
        var extra: [UInt8] = []
        if size >= 65_821 {
            let v = size - 65_821
            sizeBits = 31
            extra = [UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
        } else if size >= 285 {
            let v = size - 285
            sizeBits = 30
            extra = [UInt8(v >> 8), UInt8(v & 0xFF)]
        } else if size >= 29 {
            sizeBits = 29
            extra = [UInt8(size - 29)]
        }
        var out = [UInt8((type <= 7 ? type : 0) << 5 | sizeBits)]
        if type > 7 { out.append(UInt8(type - 7)) }
        return out + extra
    }

    /// A pointer to data-section offset `target`, in the smallest encoding unless `size` (0...3)
    /// forces one (size 3 holds any value; sizes 1 and 2 need targets past their bias).
    static func pointer(_ target: Int, size forced: Int? = nil) -> [UInt8] {
        let size = forced ?? (target < 2048 ? 0 : (target < 526_336 ? 1 : (target < 134_744_064 ? 2 : 3)))
        let v = target - [0, 2048, 526_336, 0][size]
        let head = UInt8(0x20 | size << 3 | (size == 3 ? 0 : (v >> (8 * (size + 1))) & 0x7))
        return [head] + (0...size).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
    }

    static func encode(_ value: WValue, into out: inout [UInt8], cache: inout [String: Int]?) {
        func bigEndian(_ v: UInt64, minimal: Bool = true, width: Int = 8) -> [UInt8] {
            var bytes = (0..<width).map { UInt8(truncatingIfNeeded: v >> (8 * (width - 1 - $0))) }
            if minimal { while bytes.first == 0 { bytes.removeFirst() } }
            return bytes
        }
        switch value {
        case .string(let s):
            if let at = cache?[s] { out += pointer(at); return }
            cache?[s] = out.count
            out += control(type: 2, size: s.utf8.count) + Array(s.utf8)
        case .double(let d): out += control(type: 3, size: 8) + bigEndian(d.bitPattern, minimal: false)
        case .float(let f): out += control(type: 15, size: 4) + bigEndian(UInt64(f.bitPattern), minimal: false, width: 4)
        case .bytes(let b): out += control(type: 4, size: b.count) + b
        case .uint16(let u): let b = bigEndian(UInt64(u)); out += control(type: 5, size: b.count) + b
        case .uint32(let u): let b = bigEndian(UInt64(u)); out += control(type: 6, size: b.count) + b
        case .uint64(let u): let b = bigEndian(u); out += control(type: 9, size: b.count) + b
        case .int32(let i):
            let b = bigEndian(UInt64(UInt32(bitPattern: i)), minimal: i >= 0, width: 4)
            out += control(type: 8, size: b.count) + b
        case .uint128(let high, let low):
            var b = bigEndian(high, minimal: false) + bigEndian(low, minimal: false)
            while b.first == 0 { b.removeFirst() }
            out += control(type: 10, size: b.count) + b
        case .bool(let b): out += control(type: 14, size: b ? 1 : 0)
        case .map(let pairs):
            out += control(type: 7, size: pairs.count)
            for (k, v) in pairs {
                encode(.string(k), into: &out, cache: &cache)
                encode(v, into: &out, cache: &cache)
            }
        case .array(let items):
            out += control(type: 11, size: items.count)
            for v in items { encode(v, into: &out, cache: &cache) }
        }
    }

    /// `encode` without a string cache, returning the bytes.
    static func encoded(_ value: WValue) -> [UInt8] {
        var out: [UInt8] = []
        var none: [String: Int]? = nil
        encode(value, into: &out, cache: &none)
        return out
    }
}

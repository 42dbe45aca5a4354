/// Wire type numbers of the MaxMind DB data section (types 8...15 are "extended").
enum MMDBWireType {
    static let extended = 0, pointer = 1, string = 2, double = 3, bytes = 4, uint16 = 5, uint32 = 6
    static let map = 7, int32 = 8, uint64 = 9, uint128 = 10, array = 11, dataCache = 12
    static let endMarker = 13, boolean = 14, float = 15
}

/// A path step with its key already in UTF-8, so lookups compare bytes without building Strings.
enum MMDBByteStep: Sendable {
    case key([UInt8])
    case index(Int)

    init(_ component: MMDBPathComponent) {
        switch component {
        case .key(let k): self = .key(Array(k.utf8))
        case .index(let i): self = .index(i)
        }
    }
}

/// Decodes values from one section (the data section or the metadata) of an MMDB file.
///
/// Invariants: every byte read lies in `sectionStart..<sectionEnd` (checked before reading; a
/// violation throws, never traps); pointers are taken relative to `sectionStart`; nesting of
/// maps, arrays and followed pointers is capped at `maxDepth` and the number of values visited
/// per call at `maxValues`, so a crafted file cannot loop forever or take exponential time.
/// Offsets passed in and reported in errors are absolute file offsets.
struct MMDBDecoder: Sendable {
    /// Deepest nesting of containers plus followed pointers accepted in one value.
    static let maxDepth = 64
    /// Most values (including map keys and skipped values) visited by one top-level call.
    static let maxValues = 262_144

    /// A decoded control byte. For a pointer, `size` is the absolute target offset.
    struct Field {
        var type: Int
        var size: Int
        var payload: Int
        var start: Int
    }

    let bytes: [UInt8]
    let sectionStart: Int
    let sectionEnd: Int
    let path: String

    /// Decodes the whole value starting at absolute offset `pos`, following pointers.
    func decode(at pos: Int) throws(GeoIPError) -> MMDBValue {
        var budget = Self.maxValues
        return try decodeValue(at: pos, depth: 0, budget: &budget).value
    }

    /// Decodes the value whose (non-pointer) field `f` was returned by `locate`.
    func decode(_ f: Field) throws(GeoIPError) -> MMDBValue {
        var budget = Self.maxValues
        return try decodeBody(f, depth: 0, budget: &budget).value
    }

    /// Follows `steps` from the value at `pos` without materialising anything else. Returns the
    /// field found (never a pointer), or nil when a key is absent, an index is out of range or a
    /// step meets a value of another type.
    func locate(_ steps: [MMDBByteStep], from pos: Int) throws(GeoIPError) -> Field? {
        var budget = Self.maxValues
        var f = try resolve(at: pos)
        for step in steps {
            switch step {
            case .key(let key):
                guard f.type == MMDBWireType.map else { return nil }
                try checkCount(f, bytesEach: 2)
                var p = f.payload
                var found: Field?
                for _ in 0..<f.size {
                    let k = try mapKey(at: p, budget: &budget)
                    if bytesEqual(k.start, k.end, key) {
                        found = try resolve(at: k.next)
                        break
                    }
                    p = try skip(at: k.next, depth: 1, budget: &budget)
                }
                guard let found else { return nil }
                f = found
            case .index(let i):
                guard f.type == MMDBWireType.array, i >= 0, i < f.size else { return nil }
                try checkCount(f, bytesEach: 1)
                var p = f.payload
                for _ in 0..<i { p = try skip(at: p, depth: 1, budget: &budget) }
                f = try resolve(at: p)
            }
        }
        return f
    }

    // MARK: - Fields and pointers

    /// Reads the control byte(s) at `pos`: type, size (extended with 1-3 more bytes) and where
    /// the payload starts.
    func field(at pos: Int) throws(GeoIPError) -> Field {
        guard pos >= sectionStart, pos < sectionEnd else {
            throw .truncated(path: path, offset: pos, needed: 1, expected: "a control byte")
        }
        let control = bytes[pos]
        var p = pos + 1
        var type = Int(control >> 5)
        if type == MMDBWireType.pointer {
            let sizeBits = Int((control >> 3) & 0x3)
            let extra = sizeBits + 1
            guard extra <= sectionEnd - p else {
                throw .truncated(path: path, offset: pos, needed: extra - (sectionEnd - p), expected: "a pointer")
            }
            var value = sizeBits == 3 ? 0 : Int(control & 0x7)
            for i in 0..<extra { value = value << 8 | Int(bytes[p + i]) }
            if sizeBits == 1 { value += 2048 } else if sizeBits == 2 { value += 526_336 }
            return Field(type: type, size: sectionStart + value, payload: p + extra, start: pos)
        }
        if type == MMDBWireType.extended {
            guard p < sectionEnd else {
                throw .truncated(path: path, offset: pos, needed: 1, expected: "an extended type byte")
            }
            let ext = Int(bytes[p])
            p += 1
            type = 7 + ext
            guard ext >= 1, type <= MMDBWireType.float else {
                throw .invalidType(path: path, offset: pos, typeNumber: type, expected: "an extended type 8...15")
            }
        }
        var size = Int(control & 0x1f)
        if size >= 29 {
            let n = size - 28
            guard n <= sectionEnd - p else {
                throw .truncated(path: path, offset: pos, needed: n - (sectionEnd - p), expected: "a size")
            }
            var v = 0
            for i in 0..<n { v = v << 8 | Int(bytes[p + i]) }
            p += n
            size = n == 1 ? 29 + v : (n == 2 ? 285 + v : 65_821 + v)
        }
        return Field(type: type, size: size, payload: p, start: pos)
    }

    /// The field at `pos`, or the field a pointer at `pos` points to.
    func resolve(at pos: Int) throws(GeoIPError) -> Field {
        let f = try field(at: pos)
        return f.type == MMDBWireType.pointer ? try follow(f) : f
    }

    /// The target field of pointer `f`; it must lie in the section and must not be a pointer.
    private func follow(_ f: Field) throws(GeoIPError) -> Field {
        let target = f.size
        guard target >= sectionStart, target < sectionEnd else {
            throw .offsetOutOfRange(path: path, offset: f.start, target: target,
                                    sectionStart: sectionStart, sectionEnd: sectionEnd)
        }
        let t = try field(at: target)
        guard t.type != MMDBWireType.pointer else {
            throw .pointerToPointer(path: path, offset: f.start, target: target)
        }
        return t
    }

    // MARK: - Decoding

    private func decodeValue(at pos: Int, depth: Int, budget: inout Int) throws(GeoIPError) -> (value: MMDBValue, next: Int) {
        try spend(&budget, at: pos)
        let f = try field(at: pos)
        guard f.type == MMDBWireType.pointer else { return try decodeBody(f, depth: depth, budget: &budget) }
        guard depth < Self.maxDepth else { throw .depthLimitExceeded(path: path, offset: pos, limit: Self.maxDepth) }
        let target = try follow(f)
        return (try decodeBody(target, depth: depth + 1, budget: &budget).value, f.payload)
    }

    private func decodeBody(_ f: Field, depth: Int, budget: inout Int) throws(GeoIPError) -> (value: MMDBValue, next: Int) {
        typealias T = MMDBWireType
        switch f.type {
        case T.string:
            let end = try payloadEnd(f, "a string")
            return (.string(try string(f.payload, end, at: f.start)), end)
        case T.bytes:
            let end = try payloadEnd(f, "a byte string")
            return (.bytes(Array(bytes[f.payload..<end])), end)
        case T.double:
            let end = try fixedEnd(f, exactly: 8, "8 bytes for a double")
            return (.double(Double(bitPattern: readUInt(f.payload, 8))), end)
        case T.float:
            let end = try fixedEnd(f, exactly: 4, "4 bytes for a float")
            return (.float(Float(bitPattern: UInt32(truncatingIfNeeded: readUInt(f.payload, 4)))), end)
        case T.uint16, T.uint32, T.uint64:
            let width = f.type == T.uint16 ? 2 : (f.type == T.uint32 ? 4 : 8)
            let end = try fixedEnd(f, atMost: width, "at most \(width) bytes for an unsigned integer")
            return (.uint(readUInt(f.payload, f.size)), end)
        case T.int32:
            let end = try fixedEnd(f, atMost: 4, "at most 4 bytes for a signed 32-bit integer")
            return (.int(Int32(bitPattern: UInt32(truncatingIfNeeded: readUInt(f.payload, f.size)))), end)
        case T.uint128:
            let end = try fixedEnd(f, atMost: 16, "at most 16 bytes for a 128-bit integer")
            let highCount = max(0, f.size - 8)
            return (.uint128(high: readUInt(f.payload, highCount),
                             low: readUInt(f.payload + highCount, f.size - highCount)), end)
        case T.boolean:
            guard f.size <= 1 else { throw .invalidSize(path: path, offset: f.start, size: f.size, expected: "0 or 1 for a boolean") }
            return (.bool(f.size == 1), f.payload)
        case T.map:
            guard depth < Self.maxDepth else { throw .depthLimitExceeded(path: path, offset: f.start, limit: Self.maxDepth) }
            try checkCount(f, bytesEach: 2)
            var result: [String: MMDBValue] = [:]
            result.reserveCapacity(min(f.size, 32))
            var p = f.payload
            for _ in 0..<f.size {
                let k = try mapKey(at: p, budget: &budget)
                let key = try string(k.start, k.end, at: p)
                let (v, next) = try decodeValue(at: k.next, depth: depth + 1, budget: &budget)
                result[key] = v
                p = next
            }
            return (.map(result), p)
        case T.array:
            guard depth < Self.maxDepth else { throw .depthLimitExceeded(path: path, offset: f.start, limit: Self.maxDepth) }
            try checkCount(f, bytesEach: 1)
            var result: [MMDBValue] = []
            result.reserveCapacity(min(f.size, 32))
            var p = f.payload
            for _ in 0..<f.size {
                let (v, next) = try decodeValue(at: p, depth: depth + 1, budget: &budget)
                result.append(v)
                p = next
            }
            return (.array(result), p)
        default:
            throw .invalidType(path: path, offset: f.start, typeNumber: f.type,
                               expected: "a value (not a data cache container or end marker)")
        }
    }

    /// Returns the offset just past the value at `pos` without building it. A pointer is skipped
    /// as its own bytes; its target is not visited.
    private func skip(at pos: Int, depth: Int, budget: inout Int) throws(GeoIPError) -> Int {
        try spend(&budget, at: pos)
        let f = try field(at: pos)
        switch f.type {
        case MMDBWireType.pointer, MMDBWireType.boolean:
            return f.payload
        case MMDBWireType.map, MMDBWireType.array:
            guard depth < Self.maxDepth else { throw .depthLimitExceeded(path: path, offset: pos, limit: Self.maxDepth) }
            let isMap = f.type == MMDBWireType.map
            try checkCount(f, bytesEach: isMap ? 2 : 1)
            var p = f.payload
            for _ in 0..<(isMap ? f.size * 2 : f.size) { p = try skip(at: p, depth: depth + 1, budget: &budget) }
            return p
        case MMDBWireType.dataCache, MMDBWireType.endMarker:
            throw .invalidType(path: path, offset: pos, typeNumber: f.type, expected: "a value")
        default:
            return try payloadEnd(f, "a value")
        }
    }

    /// A map key at `pos` (a string, or a pointer to one): its bytes and the offset after it.
    private func mapKey(at pos: Int, budget: inout Int) throws(GeoIPError) -> (start: Int, end: Int, next: Int) {
        try spend(&budget, at: pos)
        let f = try field(at: pos)
        let key = f.type == MMDBWireType.pointer ? try follow(f) : f
        guard key.type == MMDBWireType.string else {
            throw .invalidType(path: path, offset: key.start, typeNumber: key.type, expected: "a UTF-8 string map key")
        }
        let end = try payloadEnd(key, "a map key")
        return (key.payload, end, f.type == MMDBWireType.pointer ? f.payload : end)
    }

    // MARK: - Checks and raw reads

    private func spend(_ budget: inout Int, at pos: Int) throws(GeoIPError) {
        budget -= 1
        if budget < 0 { throw .valueLimitExceeded(path: path, offset: pos, limit: Self.maxValues) }
    }

    private func payloadEnd(_ f: Field, _ what: String) throws(GeoIPError) -> Int {
        let left = sectionEnd - f.payload
        guard f.size <= left else { throw .truncated(path: path, offset: f.start, needed: f.size - left, expected: what) }
        return f.payload + f.size
    }

    private func fixedEnd(_ f: Field, exactly n: Int, _ what: String) throws(GeoIPError) -> Int {
        guard f.size == n else { throw .invalidSize(path: path, offset: f.start, size: f.size, expected: what) }
        return try payloadEnd(f, what)
    }

    private func fixedEnd(_ f: Field, atMost n: Int, _ what: String) throws(GeoIPError) -> Int {
        guard f.size <= n else { throw .invalidSize(path: path, offset: f.start, size: f.size, expected: what) }
        return try payloadEnd(f, what)
    }

    /// Every map pair needs at least 2 bytes and every array element 1, so a declared count
    /// larger than the bytes left is rejected before any allocation.
    private func checkCount(_ f: Field, bytesEach: Int) throws(GeoIPError) {
        let room = (sectionEnd - f.payload) / bytesEach
        guard f.size <= room else {
            throw .invalidSize(path: path, offset: f.start, size: f.size,
                               expected: "at most \(room) entries for the \(sectionEnd - f.payload) bytes left")
        }
    }

    /// Big-endian unsigned integer of `n` (0...8) bytes at `pos`; the caller checked the range.
    private func readUInt(_ pos: Int, _ n: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<n { v = v << 8 | UInt64(bytes[pos + i]) }
        return v
    }

    private func string(_ start: Int, _ end: Int, at offset: Int) throws(GeoIPError) -> String {
        guard UTF8Check.isValid(bytes, start, end) else { throw .invalidUTF8(path: path, offset: offset) }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }

    private func bytesEqual(_ start: Int, _ end: Int, _ key: [UInt8]) -> Bool {
        guard end - start == key.count else { return false }
        for i in 0..<key.count where bytes[start + i] != key[i] { return false }
        return true
    }
}

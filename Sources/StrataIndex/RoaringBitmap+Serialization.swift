import StrataFormat

/// The portable Roaring serialisation (little-endian), as specified by the RoaringFormatSpec:
///
/// * without run containers: `u32 cookie = 12346`, `u32 containerCount`, then per container
///   `u16 key`, `u16 cardinality − 1`, then per container `u32 offset` of its data, then the data;
/// * with run containers: `u32 cookie = 12347 | (containerCount − 1) << 16`, a bitset of
///   ⌈count/8⌉ bytes marking run containers, the key/cardinality pairs, the offsets only when
///   count ≥ 4, then the data.
///
/// Data: array = cardinality × `u16`; bitmap (cardinality > 4096) = 1024 × `u64`;
/// run = `u16 runCount` then runCount × (`u16 start`, `u16 length − 1`).
extension RoaringBitmap {
    static let cookieNoRuns: UInt32 = 12346
    static let cookieRuns: UInt32 = 12347

    /// The portable serialisation, using run containers where they are smaller.
    public func serialized() -> [UInt8] {
        var kinds = [Container]()
        for c in containers {
            let low = Self.lowValues(c)
            let runs = Self.runs(low)
            let runBytes = 2 + 2 * runs.count
            let plainBytes = low.count <= 4096 ? 2 * low.count : 8192
            if runBytes < plainBytes { kinds.append(.run(runs)) } else { kinds.append(Self.normalised(low)) }
        }
        let hasRuns = kinds.contains { if case .run = $0 { return true }; return false }
        var w = ByteWriter(capacity: 64)
        let n = kinds.count
        if hasRuns {
            w.writeUInt32(Self.cookieRuns | UInt32(n - 1) << 16)
            var bits = [UInt8](repeating: 0, count: (n + 7) / 8)
            for (i, c) in kinds.enumerated() { if case .run = c { bits[i / 8] |= 1 << UInt8(i % 8) } }
            w.writeBytes(bits)
        } else {
            w.writeUInt32(Self.cookieNoRuns)
            w.writeUInt32(UInt32(n))
        }
        for (key, c) in zip(keys, kinds) {
            w.writeUInt16(key)
            w.writeUInt16(UInt16(Self.count(c) - 1))
        }
        if !hasRuns || n >= 4 {
            var offset = w.count + 4 * n
            for c in kinds {
                w.writeUInt32(UInt32(offset))
                offset += Self.dataSize(c)
            }
        }
        for c in kinds {
            switch c {
            case .array(let a): for v in a { w.writeUInt16(v) }
            case .bitmap(let words): for x in words { w.writeUInt64(x) }
            case .run(let r):
                w.writeUInt16(UInt16(r.count / 2))
                for v in r { w.writeUInt16(v) }
            }
        }
        return w.bytes
    }

    static func dataSize(_ c: Container) -> Int {
        switch c {
        case .array(let a): return 2 * a.count
        case .bitmap: return 8192
        case .run(let r): return 2 + 2 * r.count
        }
    }

    /// Decodes a portable serialisation; the bytes must be exactly one bitmap.
    ///
    /// - Throws: `FormatError` for a bad cookie, truncation, unsorted keys or values, a
    ///   cardinality that disagrees with the data, overlapping runs, or wrong offsets.
    public static func deserialize(_ bytes: UnsafeRawBufferPointer, base: Int = 0) throws(FormatError) -> RoaringBitmap {
        var r = ByteReader(bytes, base: base, section: "roaring bitmap")
        let cookie = try r.readUInt32()
        let count: Int
        var runFlags = [UInt8]()
        let hasRuns: Bool
        if cookie & 0xFFFF == cookieRuns {
            hasRuns = true
            count = Int(cookie >> 16) + 1
            runFlags = try r.readBytes((count + 7) / 8)
        } else if cookie == cookieNoRuns {
            hasRuns = false
            count = Int(try r.readUInt32())
            guard count <= 65536 else { throw FormatError.invalid(r.section, at: base + 4, "\(count) containers (at most 65536)") }
        } else {
            throw FormatError(.badMagic, section: r.section, offset: base, detail: "unknown cookie \(cookie)")
        }
        try r.require(4 * count)
        var keys = [UInt16](), cards = [Int]()
        for _ in 0..<count {
            let at = r.absoluteOffset
            let key = try r.readUInt16()
            if let last = keys.last, last >= key { throw FormatError.invalid(r.section, at: at, "container keys not ascending") }
            keys.append(key)
            cards.append(Int(try r.readUInt16()) + 1)
        }
        if !hasRuns || count >= 4 {
            // Offsets are checked up to the first run container, whose size is only known from its data.
            var expected: Int? = r.position + 4 * count
            for i in 0..<count {
                let at = r.absoluteOffset
                let off = Int(try r.readUInt32())
                guard let e = expected else { continue }
                guard off == e else { throw FormatError.invalid(r.section, at: at, "container \(i) offset \(off), expected \(e)") }
                let isRun = hasRuns && runFlags[i / 8] >> UInt8(i % 8) & 1 == 1
                expected = isRun ? nil : e + (cards[i] <= 4096 ? 2 * cards[i] : 8192)
            }
        }
        var bm = RoaringBitmap()
        for i in 0..<count {
            let at = r.absoluteOffset
            let isRun = hasRuns && runFlags[i / 8] >> UInt8(i % 8) & 1 == 1
            let c: Container
            if isRun {
                let n = Int(try r.readUInt16())
                var runs = [UInt16]()
                var total = 0
                var prevEnd = -1
                for _ in 0..<n {
                    let s = Int(try r.readUInt16()), l = Int(try r.readUInt16())
                    guard s > prevEnd, s + l <= 65535 else { throw FormatError.invalid(r.section, at: at, "runs overlap or exceed the container") }
                    prevEnd = s + l
                    total += l + 1
                    runs.append(UInt16(s)); runs.append(UInt16(l))
                }
                guard total == cards[i], n > 0 else { throw FormatError.invalid(r.section, at: at, "run container holds \(total) values, header says \(cards[i])") }
                c = .run(runs)
            } else if cards[i] <= 4096 {
                var a = [UInt16]()
                a.reserveCapacity(cards[i])
                for _ in 0..<cards[i] {
                    let v = try r.readUInt16()
                    if let last = a.last, last >= v { throw FormatError.invalid(r.section, at: at, "array container values not ascending") }
                    a.append(v)
                }
                c = .array(a)
            } else {
                var w = [UInt64]()
                w.reserveCapacity(1024)
                for _ in 0..<1024 { w.append(try r.readUInt64()) }
                guard w.reduce(0, { $0 + $1.nonzeroBitCount }) == cards[i] else {
                    throw FormatError.invalid(r.section, at: at, "bitmap container cardinality disagrees with its header")
                }
                c = .bitmap(w)
            }
            bm.append(keys[i], normalisedForm(c))
        }
        try r.expectEnd()
        return bm
    }

    /// In memory, run containers are kept as arrays or bitmaps; `serialized()` re-derives runs.
    static func normalisedForm(_ c: Container) -> Container {
        if case .run = c { return normalised(lowValues(c)) }
        return c
    }
}

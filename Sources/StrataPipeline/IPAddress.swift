/// An IPv4 or IPv6 address held as 128 bits (two big-endian halves), parsed from text or bytes
/// without allocating.
///
/// Invariants: an IPv4 address has `bitCount == 32` and lives in the low 32 bits of `low`
/// (`high == 0`); an IPv6 address has `bitCount == 128`. Bit 0 is the most significant bit of
/// the address, the first one the search tree looks at.
struct IPAddress: Sendable, Equatable {
    var high: UInt64
    var low: UInt64
    var bitCount: Int

    /// The IPv4 address `a.b.c.d` as the big-endian number `value`.
    static func v4(_ value: UInt32) -> IPAddress { IPAddress(high: 0, low: UInt64(value), bitCount: 32) }

    /// Bit `i` (0 = most significant) of the address: 0 or 1.
    @inline(__always)
    func bit(_ i: Int) -> Int {
        if bitCount == 32 { return Int(truncatingIfNeeded: low >> UInt64(31 - i)) & 1 }
        return i < 64 ? Int(truncatingIfNeeded: high >> UInt64(63 - i)) & 1
                      : Int(truncatingIfNeeded: low >> UInt64(127 - i)) & 1
    }

    /// For an IPv6 address in `::ffff:0:0/96` (IPv4-mapped), the IPv4 address it carries.
    var mappedIPv4: IPAddress? {
        guard bitCount == 128, high == 0, low >> 32 == 0xFFFF else { return nil }
        return .v4(UInt32(truncatingIfNeeded: low))
    }

    /// The address in 4 or 16 network-order bytes; any other length gives nil.
    init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if bytes.count == 16 && i < 8 { h = h << 8 | UInt64(b) } else { l = l << 8 | UInt64(b) }
        }
        self.init(high: h, low: l, bitCount: bytes.count * 8)
    }

    init(high: UInt64, low: UInt64, bitCount: Int) {
        self.high = high
        self.low = low
        self.bitCount = bitCount
    }

    /// Parses dotted-quad IPv4 (`81.2.69.142`, no leading zeros) or IPv6 text (`2001:db8::1`,
    /// `::`, `::ffff:1.2.3.4`, an optional `%zone` suffix is ignored). Anything else gives nil.
    init?(_ text: String) {
        var copy = text
        guard let parsed = copy.withUTF8({ IPAddress.parse(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = parsed
    }

    /// Byte-level form of `init?(_:)`.
    static func parse(_ s: UnsafeRawBufferPointer) -> IPAddress? {
        var end = s.count
        var hasColon = false
        for i in 0..<s.count {
            if s[i] == UInt8(ascii: ":") { hasColon = true }
            if s[i] == UInt8(ascii: "%") && hasColon { end = i; break }
        }
        if !hasColon { return parseV4(s, 0, end).map { .v4($0) } }
        return parseV6(s, end)
    }

    /// `s[from..<to]` as exactly four decimal octets 0...255 separated by dots.
    static func parseV4(_ s: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> UInt32? {
        var value: UInt32 = 0
        var parts = 0
        var i = from
        while parts < 4 {
            if parts > 0 {
                guard i < to, s[i] == UInt8(ascii: ".") else { return nil }
                i += 1
            }
            let digitsStart = i
            var octet: UInt32 = 0
            while i < to, i - digitsStart < 3, let d = digit(s[i]) {
                octet = octet * 10 + UInt32(d)
                i += 1
            }
            let n = i - digitsStart
            guard n > 0, octet <= 255, !(n > 1 && s[digitsStart] == UInt8(ascii: "0")) else { return nil }
            value = value << 8 | octet
            parts += 1
        }
        return i == to ? value : nil
    }

    private static func parseV6(_ s: UnsafeRawBufferPointer, _ end: Int) -> IPAddress? {
        // Groups before "::" go to `head`, groups after it to `tail`; each is a 128-bit shift register.
        var head = (hi: UInt64(0), lo: UInt64(0)), tail = (hi: UInt64(0), lo: UInt64(0))
        var headCount = 0, tailCount = 0
        var compressed = false
        var i = 0
        func push(_ g: UInt64) {
            if compressed {
                tail = (tail.hi << 16 | tail.lo >> 48, tail.lo << 16 | g); tailCount += 1
            } else {
                head = (head.hi << 16 | head.lo >> 48, head.lo << 16 | g); headCount += 1
            }
        }
        if end >= 2, s[0] == UInt8(ascii: ":"), s[1] == UInt8(ascii: ":") {
            compressed = true
            i = 2
        }
        while i < end {
            let groupStart = i
            var g: UInt64 = 0
            while i < end, i - groupStart < 4, let h = hexDigit(s[i]) {
                g = g << 4 | UInt64(h)
                i += 1
            }
            if i < end, s[i] == UInt8(ascii: ".") {
                guard let v4 = parseV4(s, groupStart, end) else { return nil }
                push(UInt64(v4 >> 16)); push(UInt64(v4 & 0xFFFF))
                i = end
                break
            }
            guard i > groupStart, headCount + tailCount < 8 else { return nil }
            push(g)
            if i == end { break }
            guard s[i] == UInt8(ascii: ":"), i + 1 < end else { return nil }
            i += 1
            if s[i] == UInt8(ascii: ":") {
                guard !compressed else { return nil }
                compressed = true
                i += 1
            }
        }
        let total = headCount + tailCount
        guard compressed ? total <= 7 : total == 8 else { return nil }
        // Place the head groups at the top: shift left by 16 bits per missing group.
        let shift = 16 * (8 - headCount)
        var hi: UInt64, lo: UInt64
        if shift >= 128 { hi = 0; lo = 0 }
        else if shift >= 64 { hi = head.lo << UInt64(shift - 64); lo = 0 }
        else if shift == 0 { hi = head.hi; lo = head.lo }
        else { hi = head.hi << UInt64(shift) | head.lo >> UInt64(64 - shift); lo = head.lo << UInt64(shift) }
        return IPAddress(high: hi | tail.hi, low: lo | tail.lo, bitCount: 128)
    }

    @inline(__always)
    private static func digit(_ c: UInt8) -> UInt8? {
        c >= 48 && c <= 57 ? c - 48 : nil
    }

    @inline(__always)
    private static func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}

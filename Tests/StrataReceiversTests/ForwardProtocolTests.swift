import Testing
import StrataFormat
import StrataParse
@testable import StrataReceivers

/// A MessagePack writer for the tests, written from the spec independently of the decoder.
struct MP {
    var b: [UInt8] = []
    mutating func arr(_ n: Int) { b.append(0x90 | UInt8(n)) }
    mutating func map(_ n: Int) { b.append(0x80 | UInt8(n)) }
    mutating func str(_ s: String) {
        let u = Array(s.utf8)
        if u.count < 32 { b.append(0xA0 | UInt8(u.count)) } else { b += [0xD9, UInt8(u.count)] }
        b += u
    }
    mutating func bin(_ d: [UInt8]) { b += [0xC5, UInt8(d.count >> 8), UInt8(d.count & 0xFF)] + d }
    mutating func uint32(_ v: UInt32) { b += [0xCE, UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    mutating func eventTime(_ s: UInt32, _ ns: UInt32) {
        b += [0xD7, 0x00]
        for v in [s, ns] { b += [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
    }
    mutating func record(_ message: String, level: String = "info") { map(3); str("message"); str(message); str("level"); str(level); str("n"); b.append(0x2A) }
}

@Suite struct ForwardProtocolTests {
    let d = ParseDefaults(receivedAtNanos: 1)

    func decode(_ bytes: [UInt8], cut: Int? = nil) throws(ReceiverError) -> [ForwardDecoder.Batch] {
        var dec = ForwardDecoder()
        let c = cut ?? bytes.count
        var out = try withBytes(Array(bytes[..<c])) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try dec.feed(p, defaults: d) }
        out += try withBytes(Array(bytes[c...])) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try dec.feed(p, defaults: d) }
        return out
    }

    @Test func allFourModesSplitAnywhere() throws {
        var s = MP()
        // Message mode with an integer time, as fluent-logger sends it.
        s.arr(3); s.str("app.web"); s.uint32(1_795_918_570); s.record("message mode")
        // Message mode with an EventTime and a nested record.
        s.arr(3); s.str("app.web"); s.eventTime(1_795_918_570, 123_456_789)
        s.map(2); s.str("log"); s.str("event time\n"); s.str("http"); s.map(1); s.str("status"); s.b.append(0xCD); s.b += [0x01, 0xF4]
        // Forward mode with a chunk option.
        s.arr(3); s.str("app.fw"); s.arr(2)
        s.arr(2); s.uint32(1_795_918_571); s.record("forward one", level: "error")
        s.arr(2); s.uint32(1_795_918_572); s.record("forward two")
        s.map(1); s.str("chunk"); s.str("Y2h1bmsx")
        // PackedForward.
        var packed = MP()
        packed.arr(2); packed.uint32(1_795_918_573); packed.record("packed")
        s.arr(2); s.str("app.pk"); s.bin(packed.b)
        for cut in stride(from: 0, through: s.b.count, by: 3) {
            let batches = try decode(s.b, cut: cut)
            let entries = batches.flatMap(\.entries)
            #expect(entries.map(\.message) == ["message mode", "event time", "forward one", "forward two", "packed"], "cut \(cut)")
            #expect(batches.map(\.chunk) == [nil, nil, "Y2h1bmsx", nil])
            #expect(entries[1].timestampNanos == 1_795_918_570_123_456_789)
            #expect(entries[1].field("http.status") == .int(500))
            #expect(entries[0].service == "app.web" && entries[0].field("fluent.tag") == .string("app.web") && entries[0].field("n") == .int(42))
            #expect(entries[2].level == .error)
        }
        #expect(ForwardDecoder.ack("Y2h1bmsx") == [0x81, 0xA3] + Array("ack".utf8) + [0xA8] + Array("Y2h1bmsx".utf8))
    }

    @Test func protocolErrorsAreReported() {
        var notArray = MP(); notArray.str("hello")
        #expect(throws: ReceiverError.self) { try decode(notArray.b) }
        #expect(throws: ReceiverError.self) { try decode([0xC1]) }                    // reserved byte
        var noRecord = MP(); noRecord.arr(2); noRecord.str("t"); noRecord.uint32(1)
        #expect(throws: ReceiverError.self) { try decode(noRecord.b) }
        // An incomplete value is not an error: it waits for more bytes.
        var part = MP(); part.arr(3); part.str("t")
        #expect((try? decode(part.b))?.isEmpty == true)
        // A declared array far longer than the bytes left is incomplete, not a huge allocation.
        #expect((try? decode([0xDD, 0xFF, 0xFF, 0xFF, 0xFF]))?.isEmpty == true)
    }

    @Test func messagePackScalars() throws {
        let cases: [([UInt8], MessagePack)] = [
            ([0xC0], .null), ([0xC3], .bool(true)), ([0x7F], .int(127)), ([0xE0], .int(-32)), ([0xCC, 0xFF], .uint(255)),
            ([0xD1, 0xFF, 0x38], .int(-200)), ([0xCB, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0], .float(1.5)),
            ([0xCA, 0x3F, 0xC0, 0, 0], .float(1.5)), ([0xA3, 0x61, 0x62, 0x63], .string("abc")),
            ([0xC4, 0x02, 0x01, 0x02], .binary([1, 2])), ([0xD4, 0x05, 0x09], .ext(type: 5, data: [9])),
        ]
        for (bytes, want) in cases {
            var pos = 0
            let got = try bytes.withUnsafeBytes { (p: UnsafeRawBufferPointer) throws(MessagePack.Failure) in try MessagePack.decode(p, at: &pos) }
            #expect(got == want && pos == bytes.count, "\(bytes)")
        }
    }
}

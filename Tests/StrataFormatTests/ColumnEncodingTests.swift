import Testing
import StrataFormat
import StrataTestSupport

@Suite struct ColumnEncodingTests {
    static let intCases: [[Int64]] = [
        [], [0], [Int64.min], [Int64.max], [Int64.min, Int64.max, 0, -1, 1],
        Array(0..<1000).map { Int64($0) * 1_000_000 + 1_764_374_400_000_000_000 },
        Array(repeating: 7, count: 300),
        [5, 3, 9, -2, 1 << 40, -(1 << 50)],
    ]

    @Test(arguments: intCases)
    func intColumnRoundTrips(values: [Int64]) throws {
        var w = ByteWriter()
        IntColumn.encode(values, into: &w)
        let back = try withBytes(w.bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> [Int64] in
            var r = ByteReader(p, section: "int")
            let v = try IntColumn.decode(from: &r)
            try r.expectEnd()
            return v
        }
        #expect(back == values)
    }

    /// Codes in both writer choices (delta varints below 256 values, fixed width from 256 on)
    /// decode to the same values; a code at or past the bound is refused in either mode.
    @Test func codesDecodeInBothModesAndRefuseOutOfRange() throws {
        for count in [10, 300] {
            let codes = (0..<count).map { Int64(($0 * 7919) % 700) }
            var w = ByteWriter()
            IntColumn.encode(codes, layout: .codes, into: &w)
            #expect(w.bytes[count < 128 ? 1 : 2] == (count >= IntColumn.fixedWidthMinCount ? 3 : 2), "mode byte after the count")
            let top = Int(codes.max()!)
            let got = try withBytes(w.bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) in
                var r = ByteReader(p, section: "t")
                return try IntColumn.decodeCodes(from: &r, limit: count, below: top + 1)
            }
            #expect(got.map(Int64.init) == codes)
            #expect(throws: FormatError.self) {
                try withBytes(w.bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) in
                    var r = ByteReader(p, section: "t")
                    _ = try IntColumn.decodeCodes(from: &r, limit: count, below: top)
                }
            }
        }
    }

    @Test func millisecondTimestampsPackTightly() {
        let values = (0..<10_000).map { Int64(1_764_374_400_000_000_000) + Int64($0) * 3_000_000 }
        var w = ByteWriter()
        IntColumn.encode(values, into: &w)
        #expect(w.count < 40, "constant deltas with gcd 10^6 should need no bits per value, got \(w.count) bytes")
    }

    @Test func stringColumnRoundTripsBothModes() throws {
        let lowCard: [[UInt8]] = (0..<1000).map { Array("svc-\($0 % 5)".utf8) }
        let highCard: [[UInt8]] = (0..<1000).map { Array("id-\($0)-ünï".utf8) }
        let edge: [[UInt8]] = [[], [], Array("x".utf8), [UInt8](repeating: 0xFF, count: 70_000)]
        var rng = SeededRandom(seed: 1)
        let hex: [[UInt8]] = (0..<500).map { _ in Array(String(UInt64.random(in: 0...UInt64.max, using: &rng) | 1 << 63, radix: 16).utf8) }
        var w0 = ByteWriter()
        StringColumn.encode(hex, into: &w0)
        #expect(w0.bytes.first == 2 && w0.count < 500 * 9, "lowercase hex ids are stored as bytes")
        for values in [lowCard, highCard, edge, [], hex] {
            var w = ByteWriter()
            StringColumn.encode(values, into: &w)
            let back = try w.bytes.withUnsafeBytes { p in
                var r = ByteReader(p, section: "str")
                let v = try StringColumn.decode(from: &r, maxLength: 1 << 20)
                try r.expectEnd()
                return v
            }
            #expect(back == values)
        }
    }

    @Test func presenceBitmapRoundTrips() throws {
        for rows in [1, 7, 8, 9, 64, 65, 1000] {
            for pattern in 0..<3 {
                var bm = PresenceBitmap(rows: rows)
                for i in 0..<rows where pattern == 0 || (pattern == 2 && i % 3 == 0) { bm.set(i) }
                var w = ByteWriter()
                bm.encode(into: &w)
                let back = try w.bytes.withUnsafeBytes { p in
                    var r = ByteReader(p, section: "bm")
                    return try PresenceBitmap.decode(rows: rows, from: &r)
                }
                #expect(back == bm)
            }
        }
    }

    @Test func fieldColumnRoundTripsEveryType() throws {
        let cases: [[FieldValue?]] = [
            [nil, nil, nil],
            [.int(1), nil, .int(-5), .int(Int64.max)],
            [.float(1.5), .float(-0.0), .float(3.14159), .float(1e300), .float(.infinity)],
            [.float(12.25), .float(0.5), nil, .float(100)],
            [.bool(true), .bool(false), nil],
            [.string("a"), .string(""), .string("日本"), nil],
            [.json("[1,2]"), .int(3), .string("x"), .float(2.5), .bool(true), nil],
            [.string(String(repeating: "z", count: 1 << 20))],
        ]
        for values in cases {
            var w = ByteWriter()
            FieldColumn.encode(values, into: &w)
            let back = try w.bytes.withUnsafeBytes { p in
                var r = ByteReader(p, section: "field")
                let v = try FieldColumn.decode(rows: values.count, from: &r)
                try r.expectEnd()
                return v
            }
            #expect(back.count == values.count)
            for (a, b) in zip(back, values) {
                if case .float(let x)? = a, case .float(let y)? = b {
                    #expect(x.bitPattern == y.bitPattern, "float \(x) vs \(y)")
                } else {
                    #expect(a == b)
                }
            }
        }
    }

    /// A page of hits decodes only its rows: each wanted row gets the value the whole-column
    /// decode gives it (absent and out-of-range rows are left out), whatever the type mix.
    @Test func fieldColumnDecodesSelectedRowsLikeTheWholeColumn() throws {
        var rng = SeededRandom(seed: 11)
        for round in 0..<40 {
            let rows = 1 + Int(rng.next() % 300)
            let mixed = round % 2 == 0
            let values: [FieldValue?] = (0..<rows).map { i in
                switch rng.next() % (mixed ? 6 : 2) {
                case 0: return nil
                case 1: return .int(Int64(i) * 7 - 100)
                case 2: return .string("s\(i)")
                case 3: return .float(Double(i) / 4)
                case 4: return .bool(i % 3 == 0)
                default: return .json("[\(i)]")
                }
            }
            var w = ByteWriter()
            FieldColumn.encode(values, into: &w)
            var wanted = Set<Int>()
            for _ in 0..<(1 + Int(rng.next() % 12)) { wanted.insert(Int(rng.next() % UInt64(rows + 4)) - 2) }
            let some = try w.bytes.withUnsafeBytes { p in
                var r = ByteReader(p, section: "field")
                let v = try FieldColumn.decode(rows: rows, from: &r, only: wanted)
                try r.expectEnd()
                return v
            }
            var expected = [Int: FieldValue]()
            for i in wanted where i >= 0 && i < rows { if let v = values[i] { expected[i] = v } }
            #expect(some == expected, "round \(round): rows \(wanted.sorted())")
        }
    }

    @Test func messageColumnRoundTripsExactly() throws {
        var rng = SeededRandom(seed: 99)
        let entries = randomEntries(count: 2000, rng: &rng)
        var messages = entries.map { Array($0.message.utf8) }
        messages += ["", "0", "-0", "-0.0", "00.5", "1.50", "-0.05", "0.000000001", "1.0000000001", "123456789012345678901",
                     "9223372036854775807", "-9223372036854775808", "\u{10}\u{11}\u{12}\u{13} escapes", "a\u{0}b"].map { Array($0.utf8) }
        messages.append([UInt8](repeating: UInt8(ascii: "7"), count: 1 << 20))
        messages.append(Array(String(repeating: "word 12 ", count: 130_000).utf8))
        let col = MessageColumn.encode(messages)
        let back = try col.templates.bytes.withUnsafeBytes { t in
            try col.numbers.bytes.withUnsafeBytes { n in
                try col.strings.bytes.withUnsafeBytes { s in
                    var tr = ByteReader(t, section: "t"), nr = ByteReader(n, section: "n"), sr = ByteReader(s, section: "s")
                    return try MessageColumn.decode(rows: messages.count, templates: &tr, numbers: &nr, strings: &sr)
                }
            }
        }
        #expect(back == messages)
    }

    @Test func templatesSeparateVariablesFromStaticText() {
        var tpl = [UInt8]()
        var vars = [MessageTemplate.Variable]()
        MessageTemplate.split(Array("took 12.50 ms for user 42 at 10.0.0.1".utf8), template: &tpl, vars: &vars)
        #expect(vars.count == 3)
        #expect(vars[0] == .number(1250, scale: 2))
        #expect(vars[1] == .number(42, scale: 0))
        #expect(vars[2] == .string(Array("10.0.0.1".utf8)[...]))
        #expect(Array(tpl) == Array("took ".utf8) + [0x13, 2] + Array(" ms for user ".utf8) + [0x11] + Array(" at ".utf8) + [0x12])
    }

    @Test func logEntryBatchRoundTrips() throws {
        var rng = SeededRandom(seed: 3)
        var entries = randomEntries(count: 500, rng: &rng)
        entries.append(LogEntry(timestampNanos: Int64.min, sequence: UInt64.max, message: String(repeating: "é", count: 600_000)))
        var w = ByteWriter()
        LogEntryCodec.encode(entries, into: &w)
        let back = try w.bytes.withUnsafeBytes { p in
            var r = ByteReader(p, section: "batch")
            return try LogEntryCodec.decodeBatch(from: &r)
        }
        #expect(back == entries)
    }

    @Test func timestampsFormatAndParse() {
        let t = Timestamp.parseRFC3339("2026-11-29T03:04:05.123456789Z")
        #expect(t == 1_795_921_445_123_456_789)
        #expect(Timestamp.format(t!) == "2026-11-29T03:04:05.123456789Z")
        #expect(Timestamp.parseRFC3339("2026-11-29T05:04:05.5+02:00") == 1_795_921_445_500_000_000)
        #expect(Timestamp.parseRFC3339("2026-11-29 03:04:05") == 1_795_921_445_000_000_000)
        #expect(Timestamp.parseRFC3339("1969-12-31T23:59:59.5Z") == -500_000_000)
        #expect(Timestamp.format(-500_000_000) == "1969-12-31T23:59:59.500000000Z")
        #expect(Timestamp.parseRFC3339("2026-13-01T00:00:00Z") == nil)
        #expect(Timestamp.parseRFC3339("yesterday") == nil)
        // Fuzz regression (FuzzLineParser crash-d27e5c6f): more than 9 fraction digits trapped on an empty range.
        #expect(Timestamp.parseRFC3339("2026-11-29T00:00:27.2020026290Z") == Timestamp.parseRFC3339("2026-11-29T00:00:27.202002629Z"))
        #expect(Timestamp.fromEpoch(Int64(1_795_921_445)) == 1_795_921_445_000_000_000)
        #expect(Timestamp.fromEpoch(Int64(1_795_921_445_123)) == 1_795_921_445_123_000_000)
    }

    @Test func levelsNormalise() {
        #expect(LogLevel.normalise("warning") == .warn)
        #expect(LogLevel.normalise("ERR") == .error)
        #expect(LogLevel.normalise("Information") == .info)
        #expect(LogLevel.normalise("TRACE") == .debug)
        #expect(LogLevel.normalise("critical") == .fatal)
        #expect(LogLevel.normalise("banana") == nil)
    }
}

@Suite struct MessageTemplateTests {
    func split(_ s: String) -> ([UInt8], [MessageTemplate.Variable]) {
        var tpl = [UInt8](), vars = [MessageTemplate.Variable]()
        MessageTemplate.split(Array(s.utf8), template: &tpl, vars: &vars)
        return (tpl, vars)
    }

    @Test func embeddedNumbersLeaveTheirTextInTheTemplate() {
        let (tpl, vars) = split("blk_-695229586848765657 took 12.5ms for job-17")
        #expect(vars == [.number(-695229586848765657, scale: 0), .number(125, scale: 1), .number(17, scale: 0)])
        #expect(tpl == Array("blk_".utf8) + [0x11] + Array(" took ".utf8) + [0x13, 1] + Array("ms for job-".utf8) + [0x11])
    }

    @Test func addressesAndHexIdsAreStringVariables() {
        // One template for every user and every consumer id, instead of one per value.
        let (tpl, vars) = split("user anna.lee@example.org joined consumer search-cbff4e via 3DES in 5d as user42 at v2")
        #expect(vars == [.string(Array("anna.lee@example.org".utf8)[...]), .string(Array("search-cbff4e".utf8)[...]),
                         .number(3, scale: 0), .string(Array("5d".utf8)[...]), .number(42, scale: 0), .number(2, scale: 0)])
        #expect(tpl == Array("user ".utf8) + [0x12] + Array(" joined consumer ".utf8) + [0x12] + Array(" via ".utf8) + [0x11]
                + Array("DES in ".utf8) + [0x12] + Array(" as user".utf8) + [0x11] + Array(" at v".utf8) + [0x11])
        // A token with `@` and no digit is an address too; a word without either stays static.
        let (tpl2, vars2) = split("svc@host ok")
        #expect(vars2 == [.string(Array("svc@host".utf8)[...])])
        #expect(tpl2 == [0x12] + Array(" ok".utf8))
    }

    @Test func zeroPaddedNumbersKeepTheirWidth() {
        let (tpl, vars) = split("081109 203615 -05 0x1f")
        #expect(vars == [.number(81109, scale: 0), .number(203615, scale: 0), .string(Array("-05".utf8)[...]), .string(Array("0x1f".utf8)[...])])
        #expect(tpl == [0x14, 6, 0x20, 0x11, 0x20, 0x12, 0x20, 0x12])
    }

    @Test(arguments: [IntColumn.Layout.packed, .aligned])
    func intLayoutsRoundTrip(layout: IntColumn.Layout) throws {
        var rng = SeededRandom(seed: 12)
        for _ in 0..<200 {
            let n = Int.random(in: 0...500, using: &rng)
            let span = Int64.random(in: 0...(Bool.random(using: &rng) ? 300 : Int64.max), using: &rng)
            let values = (0..<n).map { _ in Int64.random(in: -span...span, using: &rng) }
            var w = ByteWriter()
            IntColumn.encode(values, layout: layout, into: &w)
            let back = try w.bytes.withUnsafeBytes { p in
                var r = ByteReader(p, section: "int")
                let v = try IntColumn.decode(from: &r)
                try r.expectEnd()
                return v
            }
            #expect(back == values)
        }
    }
}

@Suite struct FieldReferenceTests {
    @Test func fieldReferencesTakeTheNextFreeOccurrenceAtTokenBoundaries() {
        var tpl = [UInt8](), vars = [MessageTemplate.Variable]()
        // Two fields with the same text: the second takes the next occurrence; "xabcd" is no token boundary.
        let fields: [MessageTemplate.RowField] = [.init(column: 1, value: .string("abcd")), .init(column: 2, value: .string("abcd"))]
        MessageTemplate.split(Array("xabcd abcd and abcd end".utf8), fields: fields, template: &tpl, vars: &vars)
        #expect(tpl == Array("xabcd ".utf8) + [0x15, 1] + Array(" and ".utf8) + [0x15, 2] + Array(" end".utf8))
        #expect(vars.isEmpty)
        // A value longer than the message, or shorter than four bytes, is never referenced.
        tpl = []; vars = []
        MessageTemplate.split(Array("ab ab".utf8), fields: [.init(column: 1, value: .string("ab")), .init(column: 2, value: .string("ab ab ab"))],
                              template: &tpl, vars: &vars)
        #expect(tpl == Array("ab ab".utf8))
    }

    @Test func messagesReferenceTheirRowsFieldsAndDecodeExactly() throws {
        let messages = ["handled GET /api/v1/orders/7089859 in 20.59ms", "user 42 id=42 paid 0.50 of 0.5", "path /x/yz not here", "GET /api/v1/orders/7089859x"]
            .map { Array($0.utf8) }
        let fields: [[MessageTemplate.RowField]] = [
            [.init(column: 12, value: .string("/api/v1/orders/7089859")), .init(column: 11, value: .float(20.59))],
            [.init(column: 3, value: .int(42)), .init(column: 4, value: .float(0.5))],
            [.init(column: 5, value: .string("/x/y"))],
            [.init(column: 12, value: .string("/api/v1/orders/7089859"))],
        ]
        let col = MessageColumn.encode(messages, fields: fields)
        var tpl = [UInt8](), vars = [MessageTemplate.Variable]()
        MessageTemplate.split(messages[0], fields: fields[0], template: &tpl, vars: &vars)
        #expect(vars.isEmpty, "path and duration both come from fields")
        #expect(tpl == Array("handled GET ".utf8) + [0x15, 12] + Array(" in ".utf8) + [0x16, 11, 2] + Array("ms".utf8))
        let back = try col.templates.bytes.withUnsafeBytes { t in
            try col.numbers.bytes.withUnsafeBytes { n in
                try col.strings.bytes.withUnsafeBytes { s in
                    var tr = ByteReader(t, section: "t"), nr = ByteReader(n, section: "n"), sr = ByteReader(s, section: "s")
                    return try MessageColumn.decode(rows: messages.count, templates: &tr, numbers: &nr, strings: &sr) { column, row in
                        fields[row].first { $0.column == column }?.value
                    }
                }
            }
        }
        #expect(back == messages)
        // The templates reference exactly the columns whose values the messages repeat.
        let referenced = try withBytes(col.templates.bytes) { (tp: UnsafeRawBufferPointer) throws(FormatError) -> Set<Int> in
            try withBytes(col.numbers.bytes) { (np: UnsafeRawBufferPointer) throws(FormatError) -> Set<Int> in
                try withBytes(col.strings.bytes) { (sp: UnsafeRawBufferPointer) throws(FormatError) -> Set<Int> in
                    var t = ByteReader(tp, section: "t"), n = ByteReader(np, section: "n"), s = ByteReader(sp, section: "s")
                    var out = Set<Int>()
                    for parts in try MessageStreams(rows: 4, templates: &t, numbers: &n, strings: &s).parsedTemplates() {
                        for case .fieldText(let c) in parts { out.insert(c) }
                        for case .fieldNumber(let c, _) in parts { out.insert(c) }
                    }
                    return out
                }
            }
        }
        #expect(referenced == [12, 11, 3, 4])
    }

    @Test func aMissingReferencedFieldIsAnError() throws {
        let col = MessageColumn.encode([Array("took 5 ms".utf8)], fields: [[.init(column: 9, value: .int(5))]])
        #expect(throws: FormatError.self) {
            try col.templates.bytes.withUnsafeBytes { t in
                try col.numbers.bytes.withUnsafeBytes { n in
                    try col.strings.bytes.withUnsafeBytes { s in
                        var tr = ByteReader(t, section: "t"), nr = ByteReader(n, section: "n"), sr = ByteReader(s, section: "s")
                        _ = try MessageColumn.decode(rows: 1, templates: &tr, numbers: &nr, strings: &sr)
                    }
                }
            }
        }
    }
}

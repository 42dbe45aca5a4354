/// The three streams that store a block's messages. See `format-spec/message-encoding.md`.
///
/// - `templates`: `varint templateCount`, templateCount × (`varint len`, template bytes) in
///   order of first use, then an `IntColumn` with one template code per row.
/// - `numbers`: a mode bitmap with one bit per number slot (all templates' number slots in
///   template then slot order, LSB first, ⌈slots/8⌉ bytes), then for each template in code
///   order, for each number slot in order, for each row using the template in row order a zigzag
///   varint of the value (bit 0) or of its difference from the previous row's value in the slot
///   (bit 1; the first difference is from 0). The writer picks delta when it is clearly smaller:
///   clock fields and counters in messages barely change from row to row.
/// - `strings`: in the same template/slot/row order, every string variable's `varint length`;
///   then, in the same order, the bytes of every string variable back to back.
///
/// Grouping variables by (template, slot) places similar values next to each other, which is
/// what lets the block compressor beat compressing the raw lines.
public struct MessageColumn {
    public var templates = ByteWriter()
    public var numbers = ByteWriter()
    public var strings = ByteWriter()

    /// Encodes `messages` (UTF-8 bytes each). `fields[i]`, when given, lists row *i*'s fields
    /// that the message may reference instead of repeating their values.
    public static func encode(_ messages: [[UInt8]], fields: [[MessageTemplate.RowField]] = []) -> MessageColumn {
        var ids = [ByteString: Int]()
        var order = [[UInt8]]()
        var codes = [Int64]()
        codes.reserveCapacity(messages.count)
        // Per template: the variables of each row using it, flattened.
        var rowVars = [[[MessageTemplate.Variable]]]()
        var tpl = [UInt8]()
        var vars = [MessageTemplate.Variable]()
        for (row, m) in messages.enumerated() {
            tpl.removeAll(keepingCapacity: true)
            vars.removeAll(keepingCapacity: true)
            MessageTemplate.split(m, fields: row < fields.count ? fields[row] : [], template: &tpl, vars: &vars)
            let id: Int
            if let known = ids[ByteString(tpl)] {
                id = known
            } else {
                id = order.count
                ids[ByteString(tpl)] = id
                order.append(tpl)
                rowVars.append([])
            }
            codes.append(Int64(id))
            rowVars[id].append(vars)
        }
        var out = MessageColumn()
        out.templates.writeVarint(UInt64(order.count))
        for t in order { out.templates.writeLengthPrefixed(t) }
        IntColumn.encode(codes, layout: .codes, into: &out.templates)
        var stringBytes = ByteWriter()
        var modes = [UInt64]()
        var values = ByteWriter()
        for rows in rowVars {
            guard let first = rows.first else { continue }
            for slot in 0..<first.count {
                if case .number = first[slot] {
                    var rawBytes = 0, deltaBytes = 0
                    var prev: Int64 = 0
                    for r in rows {
                        guard case .number(let v, _) = r[slot] else { continue }
                        rawBytes += IntColumn.varintSize(zigzagEncode(v))
                        deltaBytes += IntColumn.varintSize(zigzagEncode(v &- prev))
                        prev = v
                    }
                    let delta = deltaBytes * 4 < rawBytes * 3   // clearly smaller only: zstd already models repeats in raw values
                    modes.append(delta ? 1 : 0)
                    prev = 0
                    for r in rows {
                        guard case .number(let v, _) = r[slot] else { continue }
                        values.writeZigzag(delta ? v &- prev : v)
                        prev = v
                    }
                    continue
                }
                for r in rows {
                    guard case .string(let s) = r[slot] else { continue }
                    out.strings.writeVarint(UInt64(s.count))
                    stringBytes.writeBytes(s)
                }
            }
        }
        BitPacking.pack(modes, width: 1, into: &out.numbers)
        out.numbers.writeBytes(values.bytes)
        out.strings.writeBytes(stringBytes.bytes)
        return out
    }

    /// Decodes `rows` messages from the three streams; `field(column, row)` supplies referenced field values.
    public static func decode(rows: Int, templates t: inout ByteReader, numbers n: inout ByteReader,
                              strings s: inout ByteReader,
                              field: (Int, Int) -> FieldValue? = { _, _ in nil }) throws(FormatError) -> [[UInt8]] {
        let streams = try MessageStreams(rows: rows, templates: &t, numbers: &n, strings: &s)
        try streams.validate()
        var out = [[UInt8]]()
        out.reserveCapacity(rows)
        for row in 0..<rows { out.append(try streams.render(row: row, field: field)) }
        return out
    }
}

/// The three message streams of a block parsed but not rendered: templates, one template code
/// per row, and every variable in per-(template, slot) arrays, so any single row can be
/// rendered on demand and queries can reason about templates before rendering anything.
///
/// Invariants: `codes.count == rows`; every code < `templates.count`; `ordinal[i]` is the number
/// of rows before *i* with the same template; slot arrays hold `uses[k]` values each.
public struct MessageStreams: Sendable {
    /// Every template's bytes back to back (parsed only when needed: `parsedTemplates`);
    /// template k is `templateBlob[templateRanges[k]]`.
    public let templateBlob: [UInt8]
    public let templateRanges: [Range<Int>]
    /// Offset of the template blob's first byte in the `_msg.tpl` stream (for error messages).
    let blobOffset: Int
    public let codes: [UInt32]
    /// The `_msg.num` and `_msg.str` streams, produced on first use: a query that settles every
    /// row from the templates never decompresses them.
    let numberSource: LazyBytes
    let stringSource: LazyBytes
    let section: String
    let numberSection: String
    let stringSection: String
    let codesAt: Int
    private let slots = SlotCache()

    /// Parses the templates and codes now; the number and string slots are parsed on the first
    /// render (a query that settles every row from templates never parses them).
    public init(rows: Int, templates t: inout ByteReader, numbers n: inout ByteReader,
                strings s: inout ByteReader) throws(FormatError) {
        try self.init(rows: rows, templates: &t, numbers: LazyBytes(Array(n.buffer[n.position...])), numberSection: n.section,
                      strings: LazyBytes(Array(s.buffer[s.position...])), stringSection: s.section)
        n.position = n.buffer.count
        s.position = s.buffer.count
    }

    /// As above, with the number and string streams loaded only when first needed.
    public init(rows: Int, templates t: inout ByteReader, numbers: LazyBytes, numberSection: String,
                strings: LazyBytes, stringSection: String) throws(FormatError) {
        section = t.section
        self.numberSection = numberSection
        self.stringSection = stringSection
        numberSource = numbers
        stringSource = strings
        let count = try t.readLength(limit: min(Limits.maxTemplatesPerBlock, rows), "template count")
        // One copy of the template area; each template is a range of it (its length prefix is
        // part of the copy and skipped by the range).
        let areaStart = t.position
        var ranges = [Range<Int>]()
        ranges.reserveCapacity(count)
        for _ in 0..<count {
            let length = try t.readLength(limit: Limits.maxMessageBytes, "template length")
            _ = try t.readSpan(length)
            let end = t.position - areaStart
            ranges.append((end - length)..<end)
        }
        blobOffset = t.base + areaStart
        codesAt = t.absoluteOffset
        let codes = try IntColumn.decodeCodes(from: &t, limit: rows, below: count)
        guard codes.count == rows else {
            throw FormatError.invalid(t.section, at: codesAt, "\(codes.count) template codes for \(rows) rows")
        }
        try t.expectEnd()
        templateBlob = Array(t.buffer[areaStart..<(areaStart + (ranges.last?.upperBound ?? 0))])
        templateRanges = ranges
        self.codes = codes
    }

    /// Per row, the number of earlier rows with the same template; per template, its rows.
    /// Computed on first need (rendering and slot parsing), not by queries settled by templates.
    func ordinals() -> (ordinal: [Int32], uses: [Int]) {
        if let o = slots.ordinals { return o }
        var uses = [Int](repeating: 0, count: templateRanges.count)
        var ordinal = [Int32](repeating: 0, count: codes.count)
        codes.withUnsafeBufferPointer { src in ordinal.withUnsafeMutableBufferPointer { ord in uses.withUnsafeMutableBufferPointer { u in
            for i in 0..<src.count {
                let c = Int(src[i])
                ord[i] = Int32(truncatingIfNeeded: u[c])
                u[c] += 1
            }
        } } }
        slots.ordinals = (ordinal, uses)
        return (ordinal, uses)
    }

    /// The whole `_msg.str` stream (lengths, then bytes): a superset of every string variable's
    /// bytes, for "could any variable contain …" checks that must not miss.
    public func stringStream() throws(FormatError) -> [UInt8] { try stringSource.get() }

    /// Parses (once) and validates the templates and the number and string streams.
    public func validate() throws(FormatError) { _ = try parsedSlots() }

    final class SlotCache: @unchecked Sendable {
        var value: Slots?
        var templates: [[MessageTemplate.Part]]?
        var ordinals: (ordinal: [Int32], uses: [Int])?
        var strings: StringSlots?
    }

    /// Every template parsed (once).
    public func parsedTemplates() throws(FormatError) -> [[MessageTemplate.Part]] {
        if let t = slots.templates { return t }
        var parts = [[MessageTemplate.Part]]()
        parts.reserveCapacity(templateRanges.count)
        try withBytes(templateBlob) { (p: UnsafeRawBufferPointer) throws(FormatError) in
            for r in templateRanges {
                parts.append(try MessageTemplate.parse(UnsafeRawBufferPointer(rebasing: p[r]), section: section, offset: blobOffset + r.lowerBound))
            }
        }
        slots.templates = parts
        return parts
    }

    /// The number and string slots: values by (template, slot, ordinal); string variables as
    /// ranges of `stringStream`, in stream order.
    public struct Slots: Sendable {
        public var numberSlots: [[[Int64]]]
        public var stringRanges: [[[Range<Int>]]]
        public var stringBytesStart: Int
        /// The `_msg.str` stream the ranges point into.
        public var strings: [UInt8]
    }

    public func parsedSlots() throws(FormatError) -> Slots {
        if let v = slots.value { return v }
        let strings = try parsedStrings()
        let numberStream = try numberSource.get()
        let numberSlots = try withBytes(numberStream) { (np: UnsafeRawBufferPointer) throws(FormatError) -> [[[Int64]]] in
            var n = ByteReader(np, section: numberSection)
            return try parseNumbers(&n)
        }
        let v = Slots(numberSlots: numberSlots, stringRanges: strings.ranges, stringBytesStart: strings.bytesStart, strings: strings.bytes)
        slots.value = v
        return v
    }

    /// The string variables alone, as ranges of the `_msg.str` stream by (template, slot,
    /// ordinal): enough to find which rows' strings hold some bytes, without the numbers.
    public struct StringSlots: Sendable {
        public var ranges: [[[Range<Int>]]]
        public var bytesStart: Int
        public var bytes: [UInt8]
    }

    public func parsedStrings() throws(FormatError) -> StringSlots {
        if let v = slots.strings { return v }
        let stream = try stringSource.get()
        var v = try withBytes(stream) { (sp: UnsafeRawBufferPointer) throws(FormatError) -> StringSlots in
            var s = ByteReader(sp, section: stringSection)
            return try parseStrings(&s)
        }
        v.bytes = stream
        slots.strings = v
        return v
    }

    private func parseNumbers(_ n: inout ByteReader) throws(FormatError) -> [[[Int64]]] {
        let parts = try parsedTemplates()
        let uses = ordinals().uses
        // The mode bitmap: one bit per number slot of every template.
        var slotCount = 0
        for p in parts { for part in p { if case .number = part { slotCount += 1 } else if case .padded = part { slotCount += 1 } } }
        var modes = [UInt64]()
        try BitPacking.unpack(count: slotCount, width: 1, from: &n, into: &modes)
        var slotIndex = 0
        var numberSlots = [[[Int64]]]()
        for (k, p) in parts.enumerated() {
            var ns = [[Int64]]()
            for part in p {
                switch part {
                case .number, .padded:
                    ns.append(try readNumbers(&n, mode: modes[slotIndex], count: uses[k]))
                    slotIndex += 1
                default: continue
                }
            }
            numberSlots.append(ns)
        }
        try n.expectEnd()
        return numberSlots
    }

    private func readNumbers(_ n: inout ByteReader, mode: UInt64, count: Int) throws(FormatError) -> [Int64] {
        var col = [Int64]()
        col.reserveCapacity(count)
        var prev: Int64 = 0
        for _ in 0..<count {
            let x = try n.readZigzag()
            prev = mode == 1 ? prev &+ x : x
            col.append(prev)
        }
        return col
    }

    private func parseStrings(_ s: inout ByteReader) throws(FormatError) -> StringSlots {
        let parts = try parsedTemplates()
        let uses = ordinals().uses
        // Lengths in (template, slot, ordinal) order, then the bytes in the same order.
        var stringSlots = [[[Int]]]()
        for (k, p) in parts.enumerated() {
            var ss = [[Int]]()
            for part in p {
                guard case .string = part else { continue }
                var col = [Int](); col.reserveCapacity(uses[k])
                for _ in 0..<uses[k] { col.append(try s.readLength(limit: Limits.maxMessageBytes, "string variable length")) }
                ss.append(col)
            }
            stringSlots.append(ss)
        }
        let bytesStart = s.position
        var ranges = [[[Range<Int>]]]()
        var pos = bytesStart
        for ss in stringSlots {
            var tslots = [[Range<Int>]]()
            for col in ss {
                var r = [Range<Int>](); r.reserveCapacity(col.count)
                for len in col { r.append(pos..<(pos + len)); pos += len }
                tslots.append(r)
            }
            ranges.append(tslots)
        }
        guard pos <= s.buffer.count else {
            throw FormatError.truncated(s.section, at: s.base + bytesStart, needed: pos - bytesStart,
                                        available: s.buffer.count - bytesStart)
        }
        guard pos == s.buffer.count else {
            throw FormatError.invalid(s.section, at: s.base + pos, "\(s.buffer.count - pos) trailing bytes")
        }
        return StringSlots(ranges: ranges, bytesStart: bytesStart, bytes: [])
    }

    public var rowCount: Int { codes.count }
    public var templateCount: Int { templateRanges.count }

    /// Renders row `row`; `field(column, row)` supplies referenced field values.
    public func render(row: Int, field: (Int, Int) -> FieldValue?) throws(FormatError) -> [UInt8] {
        let k = Int(codes[row])
        let j = Int(ordinals().ordinal[row])
        let slots = try parsedSlots()
        var msg = [UInt8]()
        var ni = 0, si = 0
        for part in try parsedTemplates()[k] {
            if case .text(let b) = part { msg.append(contentsOf: b) } else {
                try appendPlaceholder(part, slots, k: k, j: j, row: row, ni: &ni, si: &si, field: field, to: &msg)
            }
        }
        if msg.count > Limits.maxMessageBytes {
            throw FormatError.invalid(section, at: codesAt, "decoded message exceeds \(Limits.maxMessageBytes) bytes")
        }
        return msg
    }

    /// Calls `body` with the text of each *variable region* of row `row`: a maximal stretch of
    /// the message covering its placeholders plus the static token bytes touching them, bounded
    /// by delimiters (non-token bytes of `Tokenizer`) or the message ends. Every token of the
    /// message that is not wholly static lies inside one region, so a token absent from the
    /// template's static tokens is in the message iff it is in some region. Stops and returns
    /// true as soon as `body` does.
    public func anyVariableRegion(row: Int, field: (Int, Int) -> FieldValue?,
                                  _ body: ([UInt8]) -> Bool) throws(FormatError) -> Bool {
        let k = Int(codes[row])
        let j = Int(ordinals().ordinal[row])
        let slots = try parsedSlots()
        let parts = try parsedTemplates()[k]
        var buf = [UInt8]()
        buf.reserveCapacity(64)
        var inRegion = false
        var ni = 0, si = 0
        for (p, part) in parts.enumerated() {
            if case .text(let b) = part {
                guard inRegion else { continue }
                if let d = b.firstIndex(where: { !Tokenizer.isTokenByte($0) }) {
                    buf.append(contentsOf: b[..<d])
                    if body(buf) { return true }
                    buf.removeAll(keepingCapacity: true)
                    inRegion = false
                } else {
                    buf.append(contentsOf: b)
                }
                continue
            }
            if !inRegion {
                inRegion = true
                if p > 0, case .text(let b) = parts[p - 1] {
                    let start = (b.lastIndex(where: { !Tokenizer.isTokenByte($0) }) ?? -1) + 1
                    buf.append(contentsOf: b[start...])
                }
            }
            try appendPlaceholder(part, slots, k: k, j: j, row: row, ni: &ni, si: &si, field: field, to: &buf)
        }
        return inRegion && body(buf)
    }

    /// Calls `body` with the format-v4 Bloom keys of the block's messages: `BloomKey.token` of
    /// every *clean* static token of every template (a token of a text part that touches no
    /// placeholder), and `BloomKey.variableToken` of every token of every variable region of
    /// every row (`anyVariableRegion`). Every token of every message is one or the other.
    public func forEachBloomKey(field: (Int, Int) -> FieldValue?, _ body: (UInt64) -> Void) throws(FormatError) {
        let parts = try parsedTemplates()
        for p in parts {
            for (i, part) in p.enumerated() {
                guard case .text(let b) = part, !b.isEmpty else { continue }
                func isPlaceholder(_ j: Int) -> Bool {
                    guard j >= 0 && j < p.count else { return false }
                    if case .text = p[j] { return false }
                    return true
                }
                let placeholderBefore = isPlaceholder(i - 1), placeholderAfter = isPlaceholder(i + 1)
                // A token touching a neighbouring placeholder belongs to a variable region.
                var start = 0, end = b.count
                if placeholderBefore { while start < end, Tokenizer.isTokenByte(b[start]) { start += 1 } }
                if placeholderAfter { while end > start, Tokenizer.isTokenByte(b[end - 1]) { end -= 1 } }
                guard start < end else { continue }
                b.withUnsafeBytes { raw in
                    BloomKey.forEachTokenKey(UnsafeRawBufferPointer(rebasing: raw[start..<end]), body)
                }
            }
        }
        for row in 0..<rowCount {
            _ = try anyVariableRegion(row: row, field: field) { region in
                region.withUnsafeBytes { BloomKey.forEachVariableTokenKey($0, body) }
                return false
            }
        }
    }

    private func appendPlaceholder(_ part: MessageTemplate.Part, _ slots: Slots, k: Int, j: Int, row: Int, ni: inout Int, si: inout Int,
                                   field: (Int, Int) -> FieldValue?, to msg: inout [UInt8]) throws(FormatError) {
        switch part {
        case .text(let b): msg.append(contentsOf: b)
        case .number(let scale):
            MessageTemplate.appendNumber(slots.numberSlots[k][ni][j], scale: scale, to: &msg); ni += 1
        case .padded(let width):
            MessageTemplate.appendNumber(slots.numberSlots[k][ni][j], scale: 0, width: width, to: &msg); ni += 1
        case .fieldText(let column):
            guard case .string(let text)? = field(column, row) else {
                throw FormatError.invalid(section, at: codesAt, "row \(row) references string field column \(column), which it lacks")
            }
            msg.append(contentsOf: text.utf8)
            if msg.count > Limits.maxMessageBytes {
                throw FormatError.invalid(section, at: codesAt, "decoded message exceeds \(Limits.maxMessageBytes) bytes")
            }
        case .fieldNumber(let column, let scale):
            guard let v = field(column, row), let x = MessageTemplate.referencedNumber(v, scale: scale) else {
                throw FormatError.invalid(section, at: codesAt, "row \(row) references numeric field column \(column), which it lacks")
            }
            MessageTemplate.appendNumber(x, scale: scale, to: &msg)
        case .string:
            msg.append(contentsOf: slots.strings[slots.stringRanges[k][si][j]]); si += 1
        }
    }
}

/// Bytes produced on first use and kept (a block's number or string stream, decompressed only
/// when a query needs it). Not synchronised: one task uses a block at a time, like `SlotCache`.
public final class LazyBytes: @unchecked Sendable {
    private var value: [UInt8]?
    private let load: () throws(FormatError) -> [UInt8]

    /// Bytes already at hand.
    public init(_ bytes: [UInt8]) {
        value = bytes
        load = { [] }
    }

    /// Bytes `load` produces when first asked for; a failure is thrown to each asker.
    public init(load: @escaping () throws(FormatError) -> [UInt8]) { self.load = load }

    public func get() throws(FormatError) -> [UInt8] {
        if let value { return value }
        let v = try load()
        value = v
        return v
    }
}

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
        IntColumn.encode(codes, layout: .aligned, into: &out.templates)
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

    /// Field columns referenced by the templates in a `templates` stream (so a reader can decode them first).
    public static func referencedColumns(templates: UnsafeRawBufferPointer, rows: Int) -> Set<Int> {
        var t = ByteReader(templates, section: "templates")
        var out = Set<Int>()
        guard let count = try? t.readLength(limit: min(Limits.maxTemplatesPerBlock, rows), "template count") else { return out }
        for _ in 0..<count {
            guard let bytes = try? t.readLengthPrefixed(limit: Limits.maxMessageBytes),
                  let parts = try? MessageTemplate.parse(bytes, section: "", offset: 0) else { return out }
            for p in parts {
                switch p {
                case .fieldText(let c), .fieldNumber(let c, _): out.insert(c)
                default: continue
                }
            }
        }
        return out
    }

    /// Decodes `rows` messages from the three streams; `field(column, row)` supplies referenced field values.
    public static func decode(rows: Int, templates t: inout ByteReader, numbers n: inout ByteReader,
                              strings s: inout ByteReader,
                              field: (Int, Int) -> FieldValue? = { _, _ in nil }) throws(FormatError) -> [[UInt8]] {
        let count = try t.readLength(limit: min(Limits.maxTemplatesPerBlock, rows), "template count")
        var parts = [[MessageTemplate.Part]]()
        parts.reserveCapacity(count)
        for _ in 0..<count {
            let at = t.absoluteOffset
            let bytes = try t.readLengthPrefixed(limit: Limits.maxMessageBytes)
            parts.append(try MessageTemplate.parse(bytes, section: t.section, offset: at))
        }
        let codesAt = t.absoluteOffset
        let codes = try IntColumn.decode(from: &t, limit: rows)
        guard codes.count == rows else {
            throw FormatError.invalid(t.section, at: codesAt, "\(codes.count) template codes for \(rows) rows")
        }
        try t.expectEnd()
        var uses = [Int](repeating: 0, count: count)
        for c in codes {
            guard c >= 0 && c < count else { throw FormatError.invalid(t.section, at: codesAt, "template code \(c) out of range") }
            uses[Int(c)] += 1
        }
        // The mode bitmap: one bit per number slot of every template.
        var slotCount = 0
        for p in parts { for part in p { if case .number = part { slotCount += 1 } else if case .padded = part { slotCount += 1 } } }
        var modes = [UInt64]()
        try BitPacking.unpack(count: slotCount, width: 1, from: &n, into: &modes)
        var slotIndex = 0
        // Read every slot's values in stream order.
        var numberSlots = [[[Int64]]]()
        var stringSlots = [[[Int]]]()   // lengths; bytes are read afterwards in the same order
        for (k, p) in parts.enumerated() {
            var ns = [[Int64]](), ss = [[Int]]()
            for part in p {
                switch part {
                case .text: continue
                case .fieldText, .fieldNumber: continue
                case .number, .padded:
                    let mode = modes[slotIndex]
                    slotIndex += 1
                    var col = [Int64](); col.reserveCapacity(uses[k])
                    var prev: Int64 = 0
                    for _ in 0..<uses[k] {
                        let x = try n.readZigzag()
                        prev = mode == 1 ? prev &+ x : x
                        col.append(prev)
                    }
                    ns.append(col)
                case .string:
                    var col = [Int](); col.reserveCapacity(uses[k])
                    for _ in 0..<uses[k] { col.append(try s.readLength(limit: Limits.maxMessageBytes, "string variable length")) }
                    ss.append(col)
                }
            }
            numberSlots.append(ns)
            stringSlots.append(ss)
        }
        try n.expectEnd()
        var stringStarts = [[[Int]]]()
        var pos = s.position
        for ss in stringSlots {
            var tslots = [[Int]]()
            for col in ss {
                var starts = [Int](); starts.reserveCapacity(col.count)
                for len in col { starts.append(pos); pos += len }
                tslots.append(starts)
            }
            stringStarts.append(tslots)
        }
        let bytesStart = s.position
        guard pos <= s.buffer.count else {
            throw FormatError.truncated(s.section, at: s.base + bytesStart, needed: pos - bytesStart,
                                        available: s.buffer.count - bytesStart)
        }
        guard pos == s.buffer.count else {
            throw FormatError.invalid(s.section, at: s.base + pos, "\(s.buffer.count - pos) trailing bytes")
        }
        var out = [[UInt8]]()
        out.reserveCapacity(rows)
        var seen = [Int](repeating: 0, count: count)
        for (row, c) in codes.enumerated() {
            let k = Int(c)
            let j = seen[k]; seen[k] += 1
            var msg = [UInt8]()
            var ni = 0, si = 0
            for part in parts[k] {
                switch part {
                case .text(let b): msg.append(contentsOf: b)
                case .number(let scale):
                    MessageTemplate.appendNumber(numberSlots[k][ni][j], scale: scale, to: &msg); ni += 1
                case .padded(let width):
                    MessageTemplate.appendNumber(numberSlots[k][ni][j], scale: 0, width: width, to: &msg); ni += 1
                case .fieldText(let column):
                    guard case .string(let text)? = field(column, row) else {
                        throw FormatError.invalid(t.section, at: codesAt, "row \(row) references string field column \(column), which it lacks")
                    }
                    msg.append(contentsOf: text.utf8)
                    if msg.count > Limits.maxMessageBytes {
                        throw FormatError.invalid(t.section, at: codesAt, "decoded message exceeds \(Limits.maxMessageBytes) bytes")
                    }
                case .fieldNumber(let column, let scale):
                    guard let v = field(column, row), let x = MessageTemplate.referencedNumber(v, scale: scale) else {
                        throw FormatError.invalid(t.section, at: codesAt, "row \(row) references numeric field column \(column), which it lacks")
                    }
                    MessageTemplate.appendNumber(x, scale: scale, to: &msg)
                case .string:
                    let start = stringStarts[k][si][j]
                    let len = stringSlots[k][si][j]
                    msg.append(contentsOf: UnsafeRawBufferPointer(rebasing: s.buffer[start..<start + len])); si += 1
                }
            }
            if msg.count > Limits.maxMessageBytes {
                throw FormatError.invalid(t.section, at: codesAt, "decoded message exceeds \(Limits.maxMessageBytes) bytes")
            }
            out.append(msg)
        }
        return out
    }
}

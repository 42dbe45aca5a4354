/// Binary encoding of a batch of entries: the payload of a WAL record.
///
/// Layout (see `format-spec/wal.md#entry-batch`): `varint count`, then per entry
/// `zigzag timestamp`, `varint sequence`, `u8 level`, strings `message service host source`
/// (varint length + UTF-8), `varint fieldCount` × (`string key`, `u8 type`, value),
/// `varint tagCount` × `string`. Values: int = zigzag varint, float = f64 LE, bool = u8 0/1,
/// string/json = string.
public enum LogEntryCodec {
    /// Appends the encoding of `entries` to `writer`.
    public static func encode(_ entries: [LogEntry], into writer: inout ByteWriter) {
        writer.writeVarint(UInt64(entries.count))
        for e in entries { encode(e, into: &writer) }
    }

    /// Appends one entry.
    public static func encode(_ e: LogEntry, into w: inout ByteWriter) {
        w.writeZigzag(e.timestampNanos)
        w.writeVarint(e.sequence)
        w.writeUInt8(e.level.rawValue)
        w.writeString(e.message)
        w.writeString(e.service)
        w.writeString(e.host)
        w.writeString(e.source)
        w.writeVarint(UInt64(e.fields.count))
        for f in e.fields {
            w.writeString(f.key)
            w.writeUInt8(f.value.typeTag)
            switch f.value {
            case .int(let v): w.writeZigzag(v)
            case .float(let v): w.writeFloat64(v)
            case .bool(let v): w.writeUInt8(v ? 1 : 0)
            case .string(let s), .json(let s): w.writeString(s)
            }
        }
        w.writeVarint(UInt64(e.tags.count))
        for t in e.tags { w.writeString(t) }
    }

    /// Decodes a whole batch; the reader must end exactly at the batch's end.
    public static func decodeBatch(from r: inout ByteReader) throws(FormatError) -> [LogEntry] {
        let n = try r.readLength(limit: Limits.maxEntriesPerRecord, "entry count")
        // Each entry takes at least 9 bytes; refuse counts the payload cannot hold.
        guard n <= r.remaining / 9 + 1 else { throw r.invalid("entry count \(n) exceeds payload") }
        var out = [LogEntry]()
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try decode(from: &r)) }
        try r.expectEnd()
        return out
    }

    /// Decodes one entry.
    public static func decode(from r: inout ByteReader) throws(FormatError) -> LogEntry {
        let ts = try r.readZigzag()
        let seq = try r.readVarint()
        let levelAt = r.absoluteOffset
        guard let level = LogLevel(rawValue: try r.readUInt8()) else {
            throw FormatError.invalid(r.section, at: levelAt, "unknown level byte")
        }
        let message = try r.readString(limit: Limits.maxMessageBytes)
        let service = try r.readString(limit: Limits.maxShortStringBytes)
        let host = try r.readString(limit: Limits.maxShortStringBytes)
        let source = try r.readString(limit: Limits.maxShortStringBytes)
        let nf = try r.readLength(limit: Limits.maxFieldsPerEntry, "field count")
        var fields = [Field]()
        fields.reserveCapacity(nf)
        for _ in 0..<nf {
            let key = try r.readString(limit: Limits.maxShortStringBytes)
            let tagAt = r.absoluteOffset
            let value: FieldValue
            switch try r.readUInt8() {
            case 1: value = .int(try r.readZigzag())
            case 2: value = .float(try r.readFloat64())
            case 3:
                let b = try r.readUInt8()
                guard b <= 1 else { throw FormatError.invalid(r.section, at: tagAt + 1, "bool byte \(b)") }
                value = .bool(b == 1)
            case 4: value = .string(try r.readString(limit: Limits.maxFieldValueBytes))
            case 5: value = .json(try r.readString(limit: Limits.maxFieldValueBytes))
            case let t: throw FormatError.invalid(r.section, at: tagAt, "unknown field type \(t)")
            }
            fields.append(Field(key, value))
        }
        let nt = try r.readLength(limit: Limits.maxTagsPerEntry, "tag count")
        var tags = [String]()
        tags.reserveCapacity(nt)
        for _ in 0..<nt { tags.append(try r.readString(limit: Limits.maxShortStringBytes)) }
        return LogEntry(timestampNanos: ts, sequence: seq, level: level, message: message, service: service,
                        host: host, source: source, fields: fields, tags: tags)
    }
}

import StrataFormat

/// JSON renderings of search results shared by `strata query` and the server.
public enum ResultJSON {
    /// Appends a hit: the whole entry, or only `projection`'s keys (system names and field
    /// keys; a missing field is `null`).
    public static func appendHit(_ e: LogEntry, projection: [String]?, to out: inout [UInt8]) {
        guard let projection else {
            LogEntryJSON.append(e, to: &out)
            return
        }
        out.append(0x7B)
        for (i, key) in projection.enumerated() {
            if i > 0 { out.append(0x2C) }
            LogEntryJSON.appendString(key, to: &out)
            out.append(0x3A)
            switch key.lowercased() {
            case "id", "_id": LogEntryJSON.appendString(e.id.description, to: &out)
            case "timestamp", "_time", "time", "@timestamp": LogEntryJSON.appendString(Timestamp.format(e.timestampNanos), to: &out)
            case "level", "severity": LogEntryJSON.appendString(e.level.description, to: &out)
            case "message", "msg", "_msg": LogEntryJSON.appendString(e.message, to: &out)
            case "service": LogEntryJSON.appendString(e.service, to: &out)
            case "host": LogEntryJSON.appendString(e.host, to: &out)
            case "source": LogEntryJSON.appendString(e.source, to: &out)
            case "tags", "tag":
                out.append(0x5B)
                for (j, t) in e.tags.enumerated() {
                    if j > 0 { out.append(0x2C) }
                    LogEntryJSON.appendString(t, to: &out)
                }
                out.append(0x5D)
            default:
                if let v = e.field(key) { LogEntryJSON.appendValue(v, to: &out) } else { out.append(contentsOf: "null".utf8) }
            }
        }
        out.append(0x7D)
    }

    /// Appends one aggregation row as an object keyed by column name.
    public static func appendRow(_ row: [CellValue], columns: [String], to out: inout [UInt8]) {
        out.append(0x7B)
        for (i, c) in columns.enumerated() {
            if i > 0 { out.append(0x2C) }
            LogEntryJSON.appendString(c, to: &out)
            out.append(0x3A)
            row[i].appendJSON(to: &out)
        }
        out.append(0x7D)
    }
}

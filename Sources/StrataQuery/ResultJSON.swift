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

    /// The JSON document of a whole result, as `GET /api/logs` and `strata query --output json`
    /// print it: `{"hits":[…],"total":N,"next_cursor":…,"took_ms":T}` for a search, or
    /// `{"columns":[…],"rows":[…],"total":N,"approximate":[…],"took_ms":T}` for a `stats` query.
    public static func appendResult(_ result: SearchResult, to out: inout [UInt8]) {
        let took = Double(result.tookNanos) / 1e6
        let tookText = String((took * 1000).rounded() / 1000)
        if let columns = result.columns {
            out.append(contentsOf: #"{"columns":["#.utf8)
            for (i, c) in columns.enumerated() {
                if i > 0 { out.append(0x2C) }
                LogEntryJSON.appendString(c, to: &out)
            }
            out.append(contentsOf: #"],"rows":["#.utf8)
            for (i, r) in result.rows.enumerated() {
                if i > 0 { out.append(0x2C) }
                appendRow(r, columns: columns, to: &out)
            }
            out.append(contentsOf: "],\"total\":\(result.total),\"approximate\":[".utf8)
            for (i, c) in result.approximateColumns.enumerated() {
                if i > 0 { out.append(0x2C) }
                LogEntryJSON.appendString(c, to: &out)
            }
            out.append(contentsOf: "],\"took_ms\":\(tookText)}".utf8)
            return
        }
        out.append(contentsOf: #"{"hits":["#.utf8)
        for (i, e) in result.hits.enumerated() {
            if i > 0 { out.append(0x2C) }
            appendHit(e, projection: result.projection, to: &out)
        }
        out.append(contentsOf: "],\"total\":\(result.total),\"next_cursor\":".utf8)
        if let c = result.nextCursor { LogEntryJSON.appendString(c.description, to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: ",\"took_ms\":\(tookText)}".utf8)
    }
}

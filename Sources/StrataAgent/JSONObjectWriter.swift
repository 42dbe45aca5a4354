import StrataFormat

/// Builds one JSON object by appending members in order (for heartbeats; not a hot path).
struct JSONObjectWriter {
    private var out: [UInt8] = [0x7B]
    private var first = true

    private mutating func key(_ k: String) {
        if !first { out.append(0x2C) }
        first = false
        LogEntryJSON.appendString(k, to: &out)
        out.append(0x3A)
    }

    mutating func string(_ k: String, _ v: String) {
        key(k)
        LogEntryJSON.appendString(v, to: &out)
    }

    mutating func int(_ k: String, _ v: Int) {
        key(k)
        out.append(contentsOf: String(v).utf8)
    }

    mutating func number(_ k: String, _ v: Double) {
        key(k)
        out.append(contentsOf: (v.isFinite ? formatDouble((v * 1000).rounded() / 1000) : "0").utf8)
    }

    mutating func object(_ k: String, _ body: (inout JSONObjectWriter) -> Void) {
        key(k)
        var inner = JSONObjectWriter()
        body(&inner)
        out.append(contentsOf: inner.finish())
    }

    mutating func array<T>(_ k: String, _ items: [T], _ body: (T, inout JSONObjectWriter) -> Void) {
        key(k)
        out.append(0x5B)
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(0x2C) }
            var inner = JSONObjectWriter()
            body(item, &inner)
            out.append(contentsOf: inner.finish())
        }
        out.append(0x5D)
    }

    func finish() -> [UInt8] { out + [0x7D] }
}

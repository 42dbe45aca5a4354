import StrataFormat

/// Syslog messages (RFC 5424 and RFC 3164) into entries. One message, without its framing.
///
/// - `<PRI>` gives facility and severity: fields `syslog.facility` (name: `kern` … `local7`) and
///   `syslog.severity` (name: `emerg` … `debug`); the level is FATAL for emerg/alert/crit, ERROR
///   for err, WARN for warning, INFO for notice/info, DEBUG for debug.
/// - RFC 5424 (`<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG`): the timestamp (RFC 3339),
///   host, service (APP-NAME), fields `syslog.procid`, `syslog.msgid` and one string field
///   `sd.<SD-ID>.<PARAM>` per structured-data parameter (escapes `\"`, `\\`, `\]` decoded).
///   `-` (NILVALUE) leaves a part unset. A UTF-8 BOM before MSG is dropped.
/// - RFC 3164 (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, or with an RFC 3339 timestamp as
///   rsyslog's `RSYSLOG_ForwardFormat` writes): the timestamp has no year or zone, so it is read
///   as UTC in the receive year (the previous year if that would put it more than a day ahead);
///   the TAG is the service, `[PID]` the field `syslog.procid`. A missing HOST is allowed.
/// - Leading spaces of MSG are dropped (rsyslog writes `- - -  msg`), trailing CR/LF too.
///
/// Nothing is ever refused: a message that does not parse is kept whole as the message, with
/// the field `syslog.error` saying what was wrong, so no line is lost.
public enum SyslogParser {
    static let facilities = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv",
                             "ftp", "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3",
                             "local4", "local5", "local6", "local7"]
    static let severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func parse(_ m: UnsafeRawBufferPointer, defaults: ParseDefaults) -> LogEntry {
        var end = m.count
        while end > 0, m[end - 1] == 0x0A || m[end - 1] == 0x0D || m[end - 1] == 0 { end -= 1 }
        let msg = UnsafeRawBufferPointer(rebasing: m[0..<end])
        var a = EntryAssembler()
        var c = Cursor(msg)
        guard let pri = c.priority() else {
            a.message = String(decoding: msg, as: UTF8.self)
            a.addField("syslog.error", .string("no <PRI> at the start"))
            return a.build(defaults: defaults)
        }
        a.level = level(severity: pri % 8)
        a.addField("syslog.facility", .string(facilities[pri / 8]))
        a.addField("syslog.severity", .string(severities[pri % 8]))
        if c.peek() == UInt8(ascii: "1"), c.peek(1) == 0x20 {
            c.pos += 2
            rfc5424(&c, into: &a)
        } else {
            rfc3164(&c, into: &a, receivedAt: defaults.receivedAtNanos)
        }
        return a.build(defaults: defaults)
    }

    static func level(severity: Int) -> LogLevel {
        switch severity {
        case 0...2: .fatal
        case 3: .error
        case 4: .warn
        case 5, 6: .info
        default: .debug
        }
    }

    static func rfc5424(_ c: inout Cursor, into a: inout EntryAssembler) {
        let ts = c.word()
        if ts != "-" {
            if let t = Timestamp.parseRFC3339(ts) { a.timestamp = t } else { a.addField("syslog.error", .string("bad timestamp '\(ts)'")) }
        }
        let host = c.word(), app = c.word(), procid = c.word(), msgid = c.word()
        if host != "-" && !host.isEmpty { a.host = host }
        if app != "-" && !app.isEmpty { a.service = app }
        if procid != "-" && !procid.isEmpty { a.addField("syslog.procid", .string(procid)) }
        if msgid != "-" && !msgid.isEmpty { a.addField("syslog.msgid", .string(msgid)) }
        if c.peek() == UInt8(ascii: "-") {
            c.pos += 1
        } else {
            while c.peek() == UInt8(ascii: "[") {
                guard structuredElement(&c, into: &a) else {
                    a.addField("syslog.error", .string("malformed structured data at byte \(c.pos)"))
                    break
                }
            }
        }
        a.message = c.rest(dropBOM: true)
    }

    /// One `[SD-ID PARAM="VALUE" …]`; false if malformed (the cursor is then left where it failed).
    static func structuredElement(_ c: inout Cursor, into a: inout EntryAssembler) -> Bool {
        c.pos += 1
        let id = c.until { $0 == 0x20 || $0 == UInt8(ascii: "]") }
        guard !id.isEmpty else { return false }
        while true {
            guard let b = c.peek() else { return false }
            if b == UInt8(ascii: "]") { c.pos += 1; return true }
            guard b == 0x20 else { return false }
            c.pos += 1
            let name = c.until { $0 == UInt8(ascii: "=") || $0 == 0x20 || $0 == UInt8(ascii: "]") }
            guard c.peek() == UInt8(ascii: "="), c.peek(1) == UInt8(ascii: "\"") else { return false }
            c.pos += 2
            var value = [UInt8]()
            while true {
                guard let v = c.peek() else { return false }
                c.pos += 1
                if v == UInt8(ascii: "\"") { break }
                if v == UInt8(ascii: "\\"), let n = c.peek(), n == UInt8(ascii: "\"") || n == UInt8(ascii: "\\") || n == UInt8(ascii: "]") {
                    value.append(n)
                    c.pos += 1
                } else {
                    value.append(v)
                }
            }
            a.addField("sd.\(id).\(name)", .string(String(decoding: value, as: UTF8.self)))
        }
    }

    static func rfc3164(_ c: inout Cursor, into a: inout EntryAssembler, receivedAt: Int64) {
        let start = c.pos
        // An RFC 3339 timestamp (rsyslog's forward format) or the classic `Mmm dd hh:mm:ss`.
        let first = c.word()
        if let t = Timestamp.parseRFC3339(first) {
            a.timestamp = t
        } else {
            c.pos = start
            if let t = classicTimestamp(&c, receivedAt: receivedAt) {
                a.timestamp = t
            } else {
                c.pos = start
                a.addField("syslog.error", .string("no RFC 3164 timestamp"))
                a.message = c.rest(dropBOM: false)
                return
            }
        }
        // HOST, unless the next word is already the tag (`app:` or `app[pid]:`).
        let save = c.pos
        let w = c.word()
        if !(w.hasSuffix(":") || w.contains("[")) && !w.isEmpty {
            a.host = w
        } else {
            c.pos = save
        }
        // TAG: letters up to `[`, `:` or a space.
        let tagStart = c.pos
        let tag = c.until { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: ":") || $0 == 0x20 }
        if c.peek() == UInt8(ascii: "[") {
            c.pos += 1
            let pid = c.until { $0 == UInt8(ascii: "]") }
            if c.peek() == UInt8(ascii: "]") { c.pos += 1 }
            a.addField("syslog.procid", .string(pid))
        }
        if c.peek() == UInt8(ascii: ":") && !tag.isEmpty {
            c.pos += 1
            a.service = tag
        } else {
            c.pos = tagStart   // no tag: the rest is the message
        }
        a.message = c.rest(dropBOM: false)
    }

    /// `Mmm dd hh:mm:ss` (day space-padded or not), in the receive year.
    static func classicTimestamp(_ c: inout Cursor, receivedAt: Int64) -> Int64? {
        let mon = c.word()
        guard let mi = months.firstIndex(of: mon) else { return nil }
        let day = c.word()
        guard let d = Int(day), (1...31).contains(d) else { return nil }
        let time = c.word()
        guard time.utf8.count == 8 else { return nil }
        let year = Timestamp.format(receivedAt).prefix(4)
        guard let y = Int(year) else { return nil }
        func at(_ y: Int) -> Int64? {
            let mm = mi + 1 < 10 ? "0\(mi + 1)" : "\(mi + 1)"
            let dd = d < 10 ? "0\(d)" : "\(d)"
            return Timestamp.parseRFC3339("\(y)-\(mm)-\(dd)T\(time)Z")
        }
        guard let t = at(y) else { return nil }
        // December's messages read in January belong to last year.
        if t > receivedAt + 86_400_000_000_000, let earlier = at(y - 1) { return earlier }
        return t
    }

    /// A cursor over one message.
    struct Cursor {
        let b: UnsafeRawBufferPointer
        var pos = 0
        init(_ b: UnsafeRawBufferPointer) { self.b = b }

        func peek(_ k: Int = 0) -> UInt8? { pos + k < b.count ? b[pos + k] : nil }

        /// `<PRI>` with PRI 0…191 (1–3 digits, no leading zero except `<0>`).
        mutating func priority() -> Int? {
            guard peek() == UInt8(ascii: "<") else { return nil }
            var i = pos + 1, v = 0, digits = 0
            while i < b.count, b[i] &- 0x30 < 10, digits < 3 { v = v * 10 + Int(b[i] &- 0x30); i += 1; digits += 1 }
            guard digits > 0, i < b.count, b[i] == UInt8(ascii: ">"), v <= 191, !(digits > 1 && b[pos + 1] == 0x30) else { return nil }
            pos = i + 1
            return v
        }

        /// The bytes up to the next space (skipping leading spaces), then past that space.
        mutating func word() -> String {
            while pos < b.count, b[pos] == 0x20 { pos += 1 }
            let s = pos
            while pos < b.count, b[pos] != 0x20 { pos += 1 }
            let w = String(decoding: UnsafeRawBufferPointer(rebasing: b[s..<pos]), as: UTF8.self)
            if pos < b.count { pos += 1 }
            return w
        }

        mutating func until(_ stop: (UInt8) -> Bool) -> String {
            let s = pos
            while pos < b.count, !stop(b[pos]) { pos += 1 }
            return String(decoding: UnsafeRawBufferPointer(rebasing: b[s..<pos]), as: UTF8.self)
        }

        mutating func rest(dropBOM: Bool) -> String {
            while pos < b.count, b[pos] == 0x20 { pos += 1 }
            if dropBOM, pos + 3 <= b.count, b[pos] == 0xEF, b[pos + 1] == 0xBB, b[pos + 2] == 0xBF { pos += 3 }
            let r = String(decoding: UnsafeRawBufferPointer(rebasing: b[pos...]), as: UTF8.self)
            pos = b.count
            return r
        }
    }
}

import StrataFormat

/// Parses nginx and Apache httpd error-log lines.
///
/// - nginx: `2026/11/29 10:00:00 [error] 1234#5678: *99 message, client: 1.2.3.4, server: s,
///   request: "GET / HTTP/1.1", host: "h"` → time, level, `pid`, `tid`, `connection`, the
///   message up to `, client:`, and the trailing `key: value` pairs as fields (`client` →
///   `client_ip`, `host` → `http_host`).
/// - Apache 2.2/2.4: `[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 43] [client
///   1.2.3.4:5678] message` → time, `module`, level, `pid`, `tid`, `client_ip`, `client_port`.
///
/// Invariant: total over any bytes; a line not in the dialect's shape throws a `ParseError`
/// saying which part was missing, at its offset.
public struct ErrorLogParser: Sendable {
    public enum Dialect: Sendable { case nginx, apache }
    public let dialect: Dialect

    public init(_ dialect: Dialect) { self.dialect = dialect }

    static let nginxTime = try! TimestampFormat("%Y/%m/%d %H:%M:%S")
    static let apacheTimes = [try! TimestampFormat("%a %b %e %H:%M:%S.%f %Y"), try! TimestampFormat("%a %b %e %H:%M:%S %Y")]

    public func parse(_ line: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ParseError) -> LogEntry {
        var b = EntryBuilder()
        switch dialect {
        case .nginx: try parseNginx(line, &b)
        case .apache: try parseApache(line, &b)
        }
        if b.source == nil && defaults.source.isEmpty { b.source = dialect == .nginx ? "nginx" : "apache" }
        return b.build(defaults: defaults)
    }

    private func parseNginx(_ p: UnsafeRawBufferPointer, _ b: inout EntryBuilder) throws(ParseError) {
        guard p.count >= 19, let t = ErrorLogParser.nginxTime.parse(UnsafeRawBufferPointer(rebasing: p[0..<19])) else {
            throw ParseError("expected 'yyyy/mm/dd hh:mm:ss' at the start", at: 0)
        }
        b.timestamp = t
        var i = 19
        guard i + 2 < p.count, p[i] == 0x20, p[i + 1] == UInt8(ascii: "["), let close = p[(i + 2)...].firstIndex(of: UInt8(ascii: "]")) else {
            throw ParseError("expected ' [level]' after the time", at: i)
        }
        let levelBytes = UnsafeRawBufferPointer(rebasing: p[(i + 2)..<close])
        b.level = LogLevel.normalise(levelBytes) ?? .unknown
        if b.level == .unknown { b.addField("nginx_level", .string(String(decoding: levelBytes, as: UTF8.self))) }
        i = close + 1
        while i < p.count, p[i] == 0x20 { i += 1 }
        // pid#tid:
        var j = i
        while j < p.count, p[j] >= 0x30, p[j] <= 0x39 { j += 1 }
        if j > i, j < p.count, p[j] == UInt8(ascii: "#") {
            if let pid = FieldInference.integer(UnsafeRawBufferPointer(rebasing: p[i..<j])) { b.addField("pid", .int(pid)) }
            var k = j + 1
            while k < p.count, p[k] >= 0x30, p[k] <= 0x39 { k += 1 }
            if let tid = FieldInference.integer(UnsafeRawBufferPointer(rebasing: p[(j + 1)..<k])) { b.addField("tid", .int(tid)) }
            i = k
            if i < p.count, p[i] == UInt8(ascii: ":") { i += 1 }
            while i < p.count, p[i] == 0x20 { i += 1 }
        }
        if i < p.count, p[i] == UInt8(ascii: "*") {
            var k = i + 1
            while k < p.count, p[k] >= 0x30, p[k] <= 0x39 { k += 1 }
            if k > i + 1, let c = FieldInference.integer(UnsafeRawBufferPointer(rebasing: p[(i + 1)..<k])) {
                b.addField("connection", .int(c))
                i = k
                while i < p.count, p[i] == 0x20 { i += 1 }
            }
        }
        let rest = UnsafeRawBufferPointer(rebasing: p[i...])
        let marker = Array(", client: ".utf8)
        if let at = AccessLogFormat.find(marker, in: rest, from: 0, skipEscapes: false) {
            b.message = String(decoding: rest[0..<at], as: UTF8.self)
            ErrorLogParser.nginxPairs(UnsafeRawBufferPointer(rebasing: rest[(at + 2)...]), &b)
        } else {
            b.message = String(decoding: rest, as: UTF8.self)
        }
    }

    /// `client: 1.2.3.4, server: x, request: "GET / HTTP/1.1", host: "h"`.
    static func nginxPairs(_ p: UnsafeRawBufferPointer, _ b: inout EntryBuilder) {
        var i = 0
        while i < p.count {
            let ks = i
            while i < p.count, p[i] != UInt8(ascii: ":"), p[i] != UInt8(ascii: ",") { i += 1 }
            guard i + 1 < p.count, p[i] == UInt8(ascii: ":"), p[i + 1] == 0x20 else { return }
            let key = String(decoding: p[ks..<i], as: UTF8.self)
            i += 2
            var value: UnsafeRawBufferPointer
            if i < p.count, p[i] == UInt8(ascii: "\"") {
                let vs = i + 1
                var e = vs
                while e < p.count, p[e] != UInt8(ascii: "\"") { if p[e] == UInt8(ascii: "\\") { e += 1 }; e += 1 }
                value = UnsafeRawBufferPointer(rebasing: p[vs..<min(e, p.count)])
                i = min(e + 1, p.count)
            } else {
                let vs = i
                while i < p.count, !(p[i] == UInt8(ascii: ",") && i + 1 < p.count && p[i + 1] == 0x20) { i += 1 }
                value = UnsafeRawBufferPointer(rebasing: p[vs..<i])
            }
            let name = key == "client" ? "client_ip" : key == "host" ? "http_host" : key == "referrer" ? "referer" : key
            b.addField(name, .string(String(decoding: value, as: UTF8.self)))
            if i < p.count, p[i] == UInt8(ascii: ",") { i += 1 }
            while i < p.count, p[i] == 0x20 { i += 1 }
        }
    }

    private func parseApache(_ p: UnsafeRawBufferPointer, _ b: inout EntryBuilder) throws(ParseError) {
        guard p.count > 2, p[0] == UInt8(ascii: "["), let close = p.firstIndex(of: UInt8(ascii: "]")) else {
            throw ParseError("expected '[time]' at the start", at: 0)
        }
        let time = UnsafeRawBufferPointer(rebasing: p[1..<close])
        guard let t = ErrorLogParser.apacheTimes.lazy.compactMap({ $0.parse(time) }).first else {
            throw ParseError("unrecognised time in '[…]'", at: 1)
        }
        b.timestamp = t
        var i = close + 1
        var sawLevel = false
        while i + 1 < p.count, p[i] == 0x20, p[i + 1] == UInt8(ascii: "[") {
            guard let e = p[(i + 2)...].firstIndex(of: UInt8(ascii: "]")) else { break }
            let g = UnsafeRawBufferPointer(rebasing: p[(i + 2)..<e])
            if ErrorLogParser.hasPrefix(g, "pid ") {
                let rest = UnsafeRawBufferPointer(rebasing: g[4...])
                if let colon = rest.firstIndex(of: UInt8(ascii: ":")) {
                    if let pid = FieldInference.integer(UnsafeRawBufferPointer(rebasing: rest[..<colon])) { b.addField("pid", .int(pid)) }
                    let tidPart = UnsafeRawBufferPointer(rebasing: rest[(colon + 1)...])
                    if ErrorLogParser.hasPrefix(tidPart, "tid "), let tid = FieldInference.integer(UnsafeRawBufferPointer(rebasing: tidPart[4...])) { b.addField("tid", .int(tid)) }
                } else if let pid = FieldInference.integer(rest) {
                    b.addField("pid", .int(pid))
                }
            } else if ErrorLogParser.hasPrefix(g, "client ") || ErrorLogParser.hasPrefix(g, "remote ") {
                let addr = UnsafeRawBufferPointer(rebasing: g[7...])
                // ip:port (IPv4) — an IPv6 address keeps its colons when there is no port.
                if let colon = addr.lastIndex(of: UInt8(ascii: ":")), addr.firstIndex(of: UInt8(ascii: ":")) == colon,
                   let port = FieldInference.integer(UnsafeRawBufferPointer(rebasing: addr[(colon + 1)...])) {
                    b.addField("client_ip", .string(String(decoding: addr[..<colon], as: UTF8.self)))
                    b.addField("client_port", .int(port))
                } else {
                    b.addField("client_ip", .string(String(decoding: addr, as: UTF8.self)))
                }
            } else if !sawLevel {
                sawLevel = true
                var levelPart = g
                if let colon = g.firstIndex(of: UInt8(ascii: ":")) {
                    b.addField("module", .string(String(decoding: g[..<colon], as: UTF8.self)))
                    levelPart = UnsafeRawBufferPointer(rebasing: g[(colon + 1)...])
                }
                if let l = LogLevel.normalise(levelPart) { b.level = l } else { b.addField("apache_level", .string(String(decoding: levelPart, as: UTF8.self))) }
            } else {
                break
            }
            i = e + 1
        }
        guard sawLevel else { throw ParseError("expected ' [level]' after the time", at: close + 1) }
        while i < p.count, p[i] == 0x20 { i += 1 }
        b.message = String(decoding: p[i...], as: UTF8.self)
    }

    static func hasPrefix(_ p: UnsafeRawBufferPointer, _ s: StaticString) -> Bool {
        guard p.count >= s.utf8CodeUnitCount else { return false }
        for k in 0..<s.utf8CodeUnitCount where p[k] != s.utf8Start[k] { return false }
        return true
    }
}

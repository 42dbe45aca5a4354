import StrataFormat
import StrataParse

/// Web-server and key-value lines: byte 0 picks the parser (nginx/Apache combined and common
/// layouts, a custom layout taken from the first input line, nginx/Apache error logs, the
/// key-value parser with separators from bytes 1–2). Invariants: never traps; every accepted
/// entry is valid and encodes; a custom layout either compiles or throws.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAccessLog(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 3 else { return 0 }
    let body = UnsafeRawBufferPointer(start: data + 3, count: size - 3)
    let defaults = ParseDefaults(receivedAtNanos: 1_795_910_400_000_000_000)
    func check(_ e: LogEntry?) {
        guard let e else { return }
        var out = [UInt8]()
        LogEntryJSON.append(e, to: &out)
    }
    switch data[0] % 8 {
    case 0: check(AccessLogFormat.nginxCombined.parse(body, defaults: defaults))
    case 1: check(AccessLogFormat.apacheCombined.parse(body, defaults: defaults))
    case 2: check(AccessLogFormat.nginxCommon.parse(body, defaults: defaults))
    case 3, 4:
        // First line: the layout; the rest: the log line.
        let nl = body.firstIndex(of: 0x0A) ?? body.count
        let layout = String(decoding: body[0..<nl], as: UTF8.self)
        let line = UnsafeRawBufferPointer(rebasing: body[min(nl + 1, body.count)...])
        if let f = try? (data[0] % 8 == 3 ? AccessLogFormat(nginx: layout) : AccessLogFormat(apache: layout)) {
            check(f.parse(line, defaults: defaults))
        }
    case 5: check(try? ErrorLogParser(.nginx).parse(body, defaults: defaults))
    case 6: check(try? ErrorLogParser(.apache).parse(body, defaults: defaults))
    default:
        let kv = KeyValueParser(pairSeparator: data[1], keyValueSeparator: data[2], quote: UInt8(ascii: "\""))
        check(try? kv.parse(body, defaults: defaults))
    }
    for f in [InputFormat.nginx, .apache] { check(try? LineParser(format: f).parse(body, defaults: defaults)) }
    return 0
}

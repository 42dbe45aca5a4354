import StrataFormat

/// Treats a line as a plain message. The level is taken from the first level word
/// (`INFO`, `WARN`, `ERROR`, … in upper case, or `[info]`-style in brackets) among the first
/// 16 tokens, so unstructured application and system logs get a level too.
public struct RawLineParser {
    public init() {}

    public func parse(_ line: UnsafeRawBufferPointer, defaults: ParseDefaults) -> LogEntry {
        var b = EntryBuilder()
        b.message = String(decoding: line, as: UTF8.self)
        b.level = Self.detectLevel(line) ?? .unknown
        return b.build(defaults: defaults)
    }

    /// Finds a level word among the first tokens of `line`.
    static func detectLevel(_ line: UnsafeRawBufferPointer) -> LogLevel? {
        var i = 0
        var tokens = 0
        let n = min(line.count, 256)
        while i < n && tokens < 16 {
            while i < n, !isAlpha(line[i]) { i += 1 }
            let s = i
            var upper = true
            while i < n, isAlpha(line[i]) { if line[i] >= 0x61 { upper = false }; i += 1 }
            guard i > s else { break }
            tokens += 1
            let bracketed = s > 0 && line[s - 1] == UInt8(ascii: "[") && i < line.count && line[i] == UInt8(ascii: "]")
            if (upper || bracketed) && i - s >= 4 {
                if let l = LogLevel.normalise(UnsafeRawBufferPointer(rebasing: line[s..<i])) { return l }
            }
        }
        return nil
    }

    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }
}

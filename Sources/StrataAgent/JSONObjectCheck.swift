import StrataParse

/// Whether a line is exactly one JSON object (so it can be sent as structured data rather than
/// as a message string). Uses the same scanner as the server's JSON parser, so a line accepted
/// here is one the server accepts as an object.
enum JSONObjectCheck {
    /// The bytes after the object's opening `{` (through its closing `}`, trailing spaces
    /// dropped) when `line` is one complete, valid JSON object; nil otherwise.
    static func objectBody(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        var start = 0
        var end = line.count
        while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
        while end > start, line[end - 1] == 0x20 || line[end - 1] == 0x09 || line[end - 1] == 0x0D { end -= 1 }
        guard end - start >= 2, line[start] == 0x7B, line[end - 1] == 0x7D else { return nil }
        var s = JSONScanner(UnsafeRawBufferPointer(rebasing: line[start..<end]))
        guard (try? s.skipValue()) != nil else { return nil }
        s.skipSpace()
        guard s.atEnd else { return nil }
        return UnsafeRawBufferPointer(rebasing: line[(start + 1)..<end])
    }

    /// Whether `body` (after an object's `{`) starts with `}` once spaces are skipped.
    static func startsWithClosingBrace(_ body: UnsafeRawBufferPointer) -> Bool {
        for b in body where b != 0x20 && b != 0x09 && b != 0x0A && b != 0x0D { return b == 0x7D }
        return false
    }
}

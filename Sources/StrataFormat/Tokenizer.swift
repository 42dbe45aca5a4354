/// The full-text tokenizer shared by indexing and querying.
///
/// A token is a maximal run of ASCII letters, digits, `_`, or bytes ≥ 0x80 (non-ASCII UTF-8),
/// lower-cased. So `10.0.0.1` yields `10 0 0 1`, `/api/v1/users` yields `api v1 users`, and
/// a query term is matched as the phrase of its own tokens.
public enum Tokenizer {
    @inline(__always) public static func isTokenByte(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) || c == 0x5F || c >= 0x80
    }

    /// Calls `body` with each lower-cased token of `text`.
    public static func forEachToken(_ text: UnsafeRawBufferPointer, _ body: (ArraySlice<UInt8>) -> Bool) {
        var buf = [UInt8]()
        var i = 0
        let n = text.count
        while i < n {
            while i < n, !isTokenByte(text[i]) { i += 1 }
            if i >= n { return }
            buf.removeAll(keepingCapacity: true)
            while i < n, isTokenByte(text[i]) {
                let c = text[i]
                buf.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
                i += 1
            }
            if !body(buf[...]) { return }
        }
    }

    /// All tokens of `text`.
    public static func tokens(_ text: UnsafeRawBufferPointer) -> [[UInt8]] {
        var out = [[UInt8]]()
        forEachToken(text) { out.append(Array($0)); return true }
        return out
    }

    /// All tokens of a String.
    public static func tokens(_ text: String) -> [[UInt8]] {
        var s = text
        return s.withUTF8 { tokens(UnsafeRawBufferPointer($0)) }
    }
}

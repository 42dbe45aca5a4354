import StrataCodec

/// Parsing of a URL query string (`a=1&q=level%3Aerror+timeout`): `+` is a space and `%XX` a
/// byte, as HTML forms and every HTTP client library encode them. Later duplicates win.
public enum QueryString {
    public static func parse(_ query: String?) -> [String: String] {
        guard let query, !query.isEmpty else { return [:] }
        var out = [String: String]()
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(parts[0])
            out[key] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return out
    }

    /// Decodes `+` and `%XX`; a malformed escape is kept as it is.
    public static func decode(_ s: Substring) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(s.utf8.count)
        let u = Array(s.utf8)
        var i = 0
        while i < u.count {
            let c = u[i]
            if c == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if c == UInt8(ascii: "%"), i + 2 < u.count, let h = Hex.value(of: u[i + 1]), let l = Hex.value(of: u[i + 2]) {
                bytes.append(h << 4 | l)
                i += 2
            } else {
                bytes.append(c)
            }
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

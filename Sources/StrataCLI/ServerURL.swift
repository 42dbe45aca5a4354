#if canImport(Glibc)
import Glibc
#endif

/// `http://host:port` (the scheme and port optional: `host:port`, `host`) as the CLI's client
/// commands take it; https is refused (the server has no TLS yet).
enum ServerURL {
    struct Invalid: Error, CustomStringConvertible {
        let url: String
        var description: String { "'\(url)' is not a server URL like http://127.0.0.1:8080" }
    }

    static func parse(_ url: String) throws -> (host: String, port: Int) {
        var rest = Substring(url)
        if rest.hasPrefix("http://") { rest = rest.dropFirst(7) } else if rest.contains("://") { throw Invalid(url: url) }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard !rest.isEmpty else { throw Invalid(url: url) }
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            let host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { throw Invalid(url: url) }
            let port = after.isEmpty ? 8080 : Int(after.dropFirst())
            guard let port, (1...65535).contains(port) else { throw Invalid(url: url) }
            return (host, port)
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty else { throw Invalid(url: url) }
        let port = parts.count == 2 ? Int(parts[1]) : 8080
        guard let port, (1...65535).contains(port) else { throw Invalid(url: url) }
        return (String(parts[0]), port)
    }

    /// `Authorization: Bearer` for `token`, else for `$STRATA_TOKEN`, else nothing.
    static func authHeaders(_ token: String?) -> [String: String] {
        let t = token ?? getenv("STRATA_TOKEN").map { String(cString: $0) }
        guard let t, !t.isEmpty else { return [:] }
        return ["Authorization": "Bearer " + t]
    }

    /// `k=v&…` with everything but unreserved characters percent-encoded.
    static func form(_ params: [(String, String)]) -> String {
        func enc(_ s: String) -> String {
            var out = ""
            for b in s.utf8 {
                switch b {
                case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                    out.unicodeScalars.append(Unicode.Scalar(b))
                default:
                    out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
                }
            }
            return out
        }
        return params.map { enc($0.0) + "=" + enc($0.1) }.joined(separator: "&")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a listener binds: `host:port`, `[ipv6]:port`, or `:port` (all IPv4 interfaces).
/// The host is an IP address or a name resolved once at bind time (`localhost`); port 0 asks
/// the system for a free port (`start()` returns the one bound).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// An IPv4/IPv6 address or a host name, without brackets; never empty.
    public var host: String
    /// 0…65535; 0 binds an ephemeral port.
    public var port: Int

    public init(host: String, port: Int) {
        precondition((0...65_535).contains(port), "BUG: port \(port)")
        self.host = host.isEmpty ? "0.0.0.0" : host
        self.port = port
    }

    /// Parses `host:port`; an IPv6 host must be bracketed (`[::1]:5514`), since its own colons
    /// would make the port ambiguous. An empty host (`:514`) means all IPv4 interfaces.
    /// - Throws: `AgentInputError.badAddress` saying what is wrong.
    public static func parse(_ text: String) throws(AgentInputError) -> ListenAddress {
        let host: Substring, portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .badAddress(text, reason: "no ']' after the IPv6 address") }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .badAddress(text, reason: "expected ':port' after ']'") }
            portText = rest.dropFirst()
            guard !host.isEmpty else { throw .badAddress(text, reason: "empty IPv6 address between brackets") }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .badAddress(text, reason: "expected host:port (e.g. 0.0.0.0:514)") }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") { throw .badAddress(text, reason: "an IPv6 address needs brackets, e.g. [::1]:514") }
        }
        guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 &- 0x30 < 10 }),
              let port = Int(portText), port <= 65_535 else {
            throw .badAddress(text, reason: "port '\(portText)' is not a number in 0…65535")
        }
        return ListenAddress(host: String(host), port: port)
    }

    /// `host:port`, with brackets around an IPv6 host.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The socket address to bind for `socketType` (`SOCK_STREAM` or `SOCK_DGRAM`): the first
    /// that `getaddrinfo` returns.
    func resolve(socketType: Int32) throws(AgentInputError) -> ResolvedAddress {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = socketType
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            let why = gai_strerror(rc).map { String(cString: $0) } ?? "error \(rc)"
            throw .badAddress(description, reason: "cannot resolve '\(host)': \(why)")
        }
        defer { freeaddrinfo(list) }
        var out = ResolvedAddress(family: first.pointee.ai_family, length: first.pointee.ai_addrlen)
        withUnsafeMutableBytes(of: &out.storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        return out
    }
}

/// A resolved socket address, ready for `bind`.
struct ResolvedAddress {
    var family: Int32
    var length: socklen_t
    var storage = sockaddr_storage()

    init(family: Int32, length: socklen_t) {
        precondition(Int(length) <= MemoryLayout<sockaddr_storage>.size, "BUG: sockaddr length \(length)")
        self.family = family
        self.length = length
    }
}

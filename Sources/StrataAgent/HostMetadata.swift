#if canImport(Glibc)
import Glibc
#endif

/// `add_host_metadata`: the host's OS, kernel, architecture and first non-loopback addresses,
/// read once at start-up and added to every entry as `host.*` fields.
enum HostMetadata {
    static func fields() -> [(String, String)] {
        var out: [(String, String)] = []
        var u = utsname()
        if uname(&u) == 0 {
            func text<T>(_ v: T) -> String {
                withUnsafePointer(to: v) { $0.withMemoryRebound(to: CChar.self, capacity: MemoryLayout<T>.size) { String(cString: $0) } }
            }
            out.append(("host.os", text(u.sysname).lowercased()))
            out.append(("host.kernel", text(u.release)))
            out.append(("host.arch", text(u.machine)))
        }
        var ifs: UnsafeMutablePointer<ifaddrs>?
        if getifaddrs(&ifs) == 0 {
            var v4: String?, v6: String?
            var p = ifs
            while let a = p {
                defer { p = a.pointee.ifa_next }
                guard let sa = a.pointee.ifa_addr, a.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
                var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                let family = Int32(sa.pointee.sa_family)
                guard family == AF_INET || family == AF_INET6 else { continue }
                let len = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
                guard getnameinfo(sa, len, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
                let s = host.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
                if family == AF_INET, v4 == nil { v4 = s } else if family == AF_INET6, v6 == nil, !s.hasPrefix("fe80") { v6 = s }
            }
            freeifaddrs(ifs)
            if let v4 { out.append(("host.ip", v4)) }
            if let v6 { out.append(("host.ipv6", v6)) }
        }
        return out
    }
}

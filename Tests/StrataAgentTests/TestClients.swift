import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a real client (`logger`, `curl`, `gzip`) with `input` on stdin.
/// - Returns: exit status, stdout, stderr.
@discardableResult
func run(_ tool: String, _ arguments: [String], input: [UInt8] = []) throws -> (status: Int32, out: [UInt8], err: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = [tool] + arguments
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    p.standardInput = stdin
    p.standardOutput = stdout
    p.standardError = stderr
    try p.run()
    // Write stdin on another thread so a large input cannot deadlock against a full stdout pipe.
    let writer = Thread {
        stdin.fileHandleForWriting.write(Data(input))
        try? stdin.fileHandleForWriting.close()
    }
    writer.start()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, Array(out), String(decoding: err, as: UTF8.self))
}

/// The machine's host name, as `logger` writes it into messages.
func localHostName() -> String {
    var name = [CChar](repeating: 0, count: 256)
    gethostname(&name, name.count)
    return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// A plain blocking socket client (TCP or UDP) for byte-exact tests.
final class RawClient {
    let fd: Int32

    /// Connects to `host` (an IPv4 or IPv6 literal) and `port`.
    init(host: String = "127.0.0.1", port: Int, udp: Bool = false) throws {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = udp ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICHOST
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let a = list else { throw ClientError("cannot resolve \(host)") }
        defer { freeaddrinfo(list) }
        fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, 0)
        guard fd >= 0, connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 else {
            throw ClientError("cannot connect to \(host):\(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw ClientError("send failed: errno \(errno)") }
            sent += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Stops writing: the server reads end of stream.
    func finishWriting() { shutdown(fd, Int32(SHUT_WR)) }

    /// Waits up to `millis` for bytes.
    /// - Returns: the bytes; empty at end of stream; nil if nothing arrived in time.
    func receive(millis: Int32 = 10_000) -> [UInt8]? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, millis) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        return n >= 0 ? Array(buffer[0..<n]) : []
    }

    private var pending: [UInt8] = []

    /// Reads one HTTP response (head and `Content-Length` body).
    func readResponse(millis: Int32 = 10_000) throws -> HTTPReply {
        while true {
            if let end = pending.indices.dropLast(3).first(where: { pending[$0...].starts(with: [13, 10, 13, 10]) }) {
                let head = String(decoding: pending[..<end], as: UTF8.self)
                let lines = head.components(separatedBy: "\r\n")
                let status = Int(lines[0].split(separator: " ")[1]) ?? -1
                var headers = [String: String]()
                for l in lines.dropFirst() {
                    let kv = l.split(separator: ":", maxSplits: 1)
                    if kv.count == 2 { headers[kv[0].lowercased()] = kv[1].trimmingCharacters(in: .whitespaces) }
                }
                let length = Int(headers["content-length"] ?? "0") ?? 0
                while pending.count < end + 4 + length {
                    guard let more = receive(millis: millis), !more.isEmpty else { throw ClientError("response body cut short") }
                    pending += more
                }
                let body = Array(pending[(end + 4)..<(end + 4 + length)])
                pending.removeFirst(end + 4 + length)
                return HTTPReply(status: status, headers: headers, body: body)
            }
            guard let more = receive(millis: millis) else { throw ClientError("no response within \(millis) ms") }
            guard !more.isEmpty else { throw ClientError("connection closed before a response (\(pending.count) bytes read)") }
            pending += more
        }
    }

    /// Whether the server closed the connection (end of stream within `millis`, after any pending bytes).
    func isClosedByServer(millis: Int32 = 10_000) -> Bool {
        while let more = receive(millis: millis) {
            if more.isEmpty { return true }
        }
        return false
    }
}

struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
}

struct ClientError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

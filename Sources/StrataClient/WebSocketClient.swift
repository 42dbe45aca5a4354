import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal RFC 6455 WebSocket client over a blocking TCP socket (no TLS), for `strata tail`:
/// the opening handshake (with `Sec-WebSocket-Accept` checked), reading text and binary
/// messages (fragments joined), answering pings, and the closing handshake. Frames it sends are
/// masked, as a client's must be.
public final class WebSocketClient {
    public enum Message: Equatable {
        case text(String)
        case binary([UInt8])
    }

    public enum Failure: Error, CustomStringConvertible {
        /// The server answered the upgrade with something else (e.g. 400 with a JSON error).
        case rejected(status: Int, body: String)
        case protocolError(String)
        public var description: String {
            switch self {
            case .rejected(let s, let b): "the server refused the WebSocket (\(s)): \(b)"
            case .protocolError(let s): "WebSocket protocol error: \(s)"
            }
        }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private var closed = false
    /// The code and reason of the server's close frame, once received.
    public private(set) var closeReason: (code: Int, reason: String)?

    /// Connects and performs the opening handshake for `path` (with its query string).
    public init(host: String, port: Int, path: String, headers: [String: String] = [:]) throws {
        fd = try connectTCP(host: host, port: port)
        var keyBytes = [UInt8](repeating: 0, count: 16)
        for i in keyBytes.indices { keyBytes[i] = UInt8.random(in: 0...255) }
        let key = Data(keyBytes).base64EncodedString()
        let head = "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n" + headers.map { "\($0.key): \($0.value)\r\n" }.joined() + "\r\n"
        do {
            try sendAll(fd, Array(head.utf8))
            // Read the response head; anything after it is already frame data.
            while true {
                if let end = Self.headerEnd(buffer) {
                    let headText = String(decoding: buffer[0..<end], as: UTF8.self)
                    buffer.removeFirst(end + 4)
                    let status = Int(headText.split(separator: " ").dropFirst().first ?? "") ?? 0
                    guard status == 101 else {
                        // A refusal comes with a body: read it to the end.
                        while (try? fill()) == true {}
                        throw Failure.rejected(status: status, body: String(decoding: buffer, as: UTF8.self))
                    }
                    let accept = headText.split(separator: "\r\n").first { $0.lowercased().hasPrefix("sec-websocket-accept:") }
                        .map { $0.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) }
                    guard accept == Self.expectedAccept(key) else { throw Failure.protocolError("wrong Sec-WebSocket-Accept") }
                    return
                }
                guard try fill() else { throw Failure.protocolError("connection closed during the handshake") }
            }
        } catch {
            // Marks the socket closed too: deinit still runs for an initializer that throws
            // after every property is set, and a second close could hit a reused descriptor.
            shutdownSocket()
            throw error
        }
    }

    deinit { if !closed { close(fd) } }

    /// The next message; nil once the server closed the connection.
    public func receive() throws -> Message? {
        var assembled = [UInt8]()
        var assembledOpcode: UInt8 = 0
        while true {
            guard let (fin, opcode, payload) = try frame() else { return nil }
            switch opcode {
            case 0x0:
                assembled += payload
                if fin { return assembledOpcode == 1 ? .text(String(decoding: assembled, as: UTF8.self)) : .binary(assembled) }
            case 0x1, 0x2:
                if fin { return opcode == 1 ? .text(String(decoding: payload, as: UTF8.self)) : .binary(payload) }
                assembled = payload
                assembledOpcode = opcode
            case 0x8:
                let code = payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : 1005
                closeReason = (code, payload.count > 2 ? String(decoding: payload[2...], as: UTF8.self) : "")
                try? send(opcode: 0x8, payload: Array(payload.prefix(2)))
                shutdownSocket()
                return nil
            case 0x9: try send(opcode: 0xA, payload: payload)
            case 0xA: continue
            default: throw Failure.protocolError("unknown opcode \(opcode)")
            }
        }
    }

    /// Sends a close frame (1000, normal) and closes the socket.
    public func closeConnection() {
        guard !closed else { return }
        try? send(opcode: 0x8, payload: [0x03, 0xE8])
        shutdownSocket()
    }

    private func shutdownSocket() {
        guard !closed else { return }
        closed = true
        close(fd)
    }

    /// Reads one frame: (FIN, opcode, payload); nil at end of stream.
    private func frame() throws -> (Bool, UInt8, [UInt8])? {
        guard try need(2) else { return nil }
        let b0 = buffer[0], b1 = buffer[1]
        guard b1 & 0x80 == 0 else { throw Failure.protocolError("a server frame was masked") }
        var len = Int(b1 & 0x7F)
        var header = 2
        if len == 126 {
            guard try need(4) else { return nil }
            len = Int(buffer[2]) << 8 | Int(buffer[3])
            header = 4
        } else if len == 127 {
            guard try need(10) else { return nil }
            var v: UInt64 = 0
            for k in 2..<10 { v = v << 8 | UInt64(buffer[k]) }
            guard v < 1 << 31 else { throw Failure.protocolError("frame of \(v) bytes") }
            len = Int(v)
            header = 10
        }
        guard try need(header + len) else { return nil }
        let payload = Array(buffer[header..<(header + len)])
        buffer.removeFirst(header + len)
        return (b0 & 0x80 != 0, b0 & 0x0F, payload)
    }

    private func need(_ n: Int) throws -> Bool {
        while buffer.count < n { guard try fill() else { return false } }
        return true
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw HTTPClient.Failure.io("recv: errno \(errno)") }
            if n == 0 { return false }
            buffer += chunk[0..<n]
            return true
        }
    }

    private func send(opcode: UInt8, payload: [UInt8]) throws {
        var f: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            f.append(0x80 | UInt8(payload.count))
        } else {
            f.append(0x80 | 126)
            f += [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        let mask = (0..<4).map { _ in UInt8.random(in: 0...255) }
        f += mask
        for (i, b) in payload.enumerated() { f.append(b ^ mask[i & 3]) }
        try sendAll(fd, f)
    }

    static func headerEnd(_ b: [UInt8]) -> Int? {
        guard b.count >= 4 else { return nil }
        return (0...(b.count - 4)).first { b[$0] == 13 && b[$0 + 1] == 10 && b[$0 + 2] == 13 && b[$0 + 3] == 10 }
    }

    /// base64(SHA-1(key + the RFC 6455 GUID)).
    static func expectedAccept(_ key: String) -> String {
        Data(SHA1.digest(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))).base64EncodedString()
    }
}

/// SHA-1 (FIPS 180-4), only for the WebSocket handshake's accept check.
enum SHA1 {
    static func digest(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
        var m = message
        let bitLength = UInt64(message.count) * 8
        m.append(0x80)
        while m.count % 64 != 56 { m.append(0) }
        for i in (0..<8).reversed() { m.append(UInt8(truncatingIfNeeded: bitLength >> (UInt64(i) * 8))) }
        var w = [UInt32](repeating: 0, count: 80)
        for chunk in stride(from: 0, to: m.count, by: 64) {
            for i in 0..<16 {
                w[i] = UInt32(m[chunk + 4 * i]) << 24 | UInt32(m[chunk + 4 * i + 1]) << 16 | UInt32(m[chunk + 4 * i + 2]) << 8 | UInt32(m[chunk + 4 * i + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = x << 1 | x >> 31
            }
            var (a, b, c, d, e) = (h[0], h[1], h[2], h[3], h[4])
            for i in 0..<80 {
                let (f, k): (UInt32, UInt32)
                switch i {
                case 0..<20: (f, k) = ((b & c) | (~b & d), 0x5A827999)
                case 20..<40: (f, k) = (b ^ c ^ d, 0x6ED9EBA1)
                case 40..<60: (f, k) = ((b & c) | (b & d) | (c & d), 0x8F1BBCDC)
                default: (f, k) = (b ^ c ^ d, 0xCA62C1D6)
                }
                let t = (a << 5 | a >> 27) &+ f &+ e &+ k &+ w[i]
                (e, d, c, b, a) = (d, c, b << 30 | b >> 2, a, t)
            }
            h[0] &+= a; h[1] &+= b; h[2] &+= c; h[3] &+= d; h[4] &+= e
        }
        return h.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) } }
    }
}

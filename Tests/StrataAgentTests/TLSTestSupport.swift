import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a command (through /usr/bin/env), feeding `input`; returns stdout. Traps on a non-zero
/// exit only through the returned status, which callers check.
@discardableResult
func runTool(_ args: [String], input: [UInt8] = [], cwd: String? = nil) throws -> (status: Int32, stdout: [UInt8], stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
    let i = Pipe(), o = Pipe(), e = Pipe()
    p.standardInput = i
    p.standardOutput = o
    p.standardError = e
    try p.run()
    let writer = i.fileHandleForWriting
    let data = Data(input)
    DispatchQueue.global().async {
        writer.write(data)
        try? writer.close()
    }
    let errReader = e.fileHandleForReading
    let errBox = DataBox()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
        errBox.data = errReader.readDataToEndOfFile()
        group.leave()
    }
    let out = o.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return (p.terminationStatus, [UInt8](out), String(decoding: errBox.data, as: UTF8.self))
}

final class DataBox: @unchecked Sendable { var data = Data() }

/// A throwaway PKI made with the `openssl` CLI: a CA, a server certificate for DNS:localhost
/// only (so 127.0.0.1 and other names fail verification), and a client certificate.
struct TestPKI: Sendable {
    let dir: String
    var caFile: String { dir + "/ca.pem" }
    var serverCert: String { dir + "/server.pem" }
    var serverKey: String { dir + "/server.key" }
    var clientCert: String { dir + "/client.pem" }
    var clientKey: String { dir + "/client.key" }

    /// Generated once per test run.
    static let shared: TestPKI = {
        var template = Array("/tmp/strata-agent-pki-XXXXXX".utf8CString)
        let dir = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
        let steps: [[String]] = [
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Strata Agent Test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
            ["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "server.pem", "-days", "2", "-extfile", "server.ext"],
            ["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=strata-agent"],
            ["openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "client.pem", "-days", "2", "-extfile", "client.ext"],
        ]
        try! "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n".write(toFile: dir + "/server.ext", atomically: true, encoding: .utf8)
        try! "extendedKeyUsage=clientAuth\n".write(toFile: dir + "/client.ext", atomically: true, encoding: .utf8)
        for step in steps {
            let r = try! runTool(step, cwd: dir)
            precondition(r.status == 0, "\(step.joined(separator: " ")) failed: \(r.stderr)")
        }
        try! pythonHTTPSServer.write(toFile: dir + "/https_server.py", atomically: true, encoding: .utf8)
        return TestPKI(dir: dir)
    }()
}

/// Python's `ssl` + `http.server` as an independent HTTPS/1.1 server. Every response body is
/// `"<connection number> <body length> <crc32 of body>"`, and headers `X-Conn` and `X-SNI`
/// (the server name the client sent, `-` for none).
let pythonHTTPSServer = #"""
import itertools, os, signal, ssl, sys, threading, zlib
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

# The test runner spawns from threads that block signals; and if it dies, stdin closes: exit.
signal.pthread_sigmask(signal.SIG_SETMASK, [])
threading.Thread(target=lambda: (sys.stdin.buffer.read(), os._exit(0)), daemon=True).start()

cert, key = sys.argv[1], sys.argv[2]
client_ca = sys.argv[3] if len(sys.argv) > 3 else None
counter = itertools.count(1)

def remember_sni(sslsock, name, ctx):
    sslsock.strata_sni = name

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def setup(self):
        super().setup()
        self.conn_id = next(counter)
    def answer(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        out = f"{self.conn_id} {len(body)} {zlib.crc32(body)}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(out)))
        self.send_header("X-Conn", str(self.conn_id))
        self.send_header("X-SNI", getattr(self.connection, "strata_sni", None) or "-")
        self.end_headers()
        self.wfile.write(out)
        if self.path == "/close-after":
            self.close_connection = True   # closes without saying Connection: close
    do_GET = answer
    do_POST = answer
    def log_message(self, *args):
        pass

ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.sni_callback = remember_sni
if client_ca:
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(client_ca)
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
server.socket = ctx.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

/// A running `https_server.py`; `stop()` terminates it.
final class PythonHTTPSServer: @unchecked Sendable {
    let port: Int
    private let process: Process
    /// The server's stdin: it exits when this closes (also if the test process dies).
    private let lifeline = Pipe()

    init(requireClientCertificate: Bool = false) throws {
        let pki = TestPKI.shared
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", pki.dir + "/https_server.py", pki.serverCert, pki.serverKey] + (requireClientCertificate ? [pki.caFile] : [])
        let o = Pipe()
        p.standardInput = lifeline
        p.standardOutput = o
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        // The port line is printed once the socket listens: wait for it (an event, not a sleep).
        var line = Data()
        let h = o.fileHandleForReading
        while !line.contains(UInt8(ascii: "\n")) {
            let d = h.availableData
            if d.isEmpty { break }
            line.append(d)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            kill(p.processIdentifier, SIGKILL)
            throw CocoaError(.fileReadCorruptFile)
        }
        self.port = port
    }

    func stop() {
        try? lifeline.fileHandleForWriting.close()
        kill(process.processIdentifier, SIGKILL) // SIGTERM may be blocked in the child
        process.waitUntilExit()
    }
}

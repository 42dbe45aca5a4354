import Foundation
import Testing
import StrataTestSupport

/// Fluentd forward with acknowledgements: a Forward-mode message with a `chunk` option is
/// answered `{"ack": chunk}` only after its entries are stored — so they are searchable the
/// moment the ack arrives; a message that is not forward protocol closes the connection.
@Suite(.serialized) struct ForwardEndToEndTests {
    @Test func chunkIsAcknowledgedAfterItIsStored() throws {
        let dir = TemporaryDirectory("strata-forward")
        let server = try ServerProcess(dataDir: dir.path + "/data", arguments: ["--forward", "127.0.0.1:0"])
        let port = try #require(server.forwardPort)
        // ["app.ack", [[t, {"message": "acked i"}] × 3], {"chunk": "c-1", "size": 3}]
        var m: [UInt8] = [0x93, 0xA7] + Array("app.ack".utf8) + [0x93]
        for i in 0..<3 {
            m += [0x92, 0xCE, 0x6B, 0x0B, 0x8A, 0xEC, 0x81, 0xA7] + Array("message".utf8)
            let text = Array("acked \(i)".utf8)
            m += [0xA0 | UInt8(text.count)] + text
        }
        m += [0x82, 0xA5] + Array("chunk".utf8) + [0xA3] + Array("c-1".utf8) + [0xA4] + Array("size".utf8) + [0x03]
        let want: [UInt8] = [0x81, 0xA3] + Array("ack".utf8) + [0xA3] + Array("c-1".utf8)
        let ack = try tcpExchange(port: port, send: m) { $0.count >= want.count }
        #expect(ack == want)
        let r = try server.client.get("/api/logs?q=service%3Aapp.ack+acked&limit=0")
        let j = try #require(try JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
        #expect(j["total"] as? Int == 3)
        // Garbage: the server closes the connection (recv returns 0) instead of waiting forever.
        let closed = try tcpExchange(port: port, send: [0xC1, 0x00]) { _ in false }
        #expect(closed.isEmpty)
        #expect(server.stop() == 0)
    }
}

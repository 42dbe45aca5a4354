import ArgumentParser
import StrataClient

/// `strata tail`: follows new entries matching a query on a running server (WebSocket
/// `GET /api/tail`), one JSON entry a line, until interrupted or the server closes.
struct TailCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow new matching entries on a running server, one JSON object a line.")

    @Option(help: "The server (default http://127.0.0.1:8080).")
    var server: String = "http://127.0.0.1:8080"

    @Option(help: "API token, when the server requires one (default: $STRATA_TOKEN).")
    var token: String?

    @Argument(help: "The query's filter, e.g. 'level:error service:api' (no | stages); empty: everything.")
    var query: [String] = []

    func run() throws {
        let (host, port) = try ServerURL.parse(server)
        let path = "/api/tail?" + ServerURL.form([("q", query.joined(separator: " "))])
        let ws: WebSocketClient
        do { ws = try WebSocketClient(host: host, port: port, path: path, headers: ServerURL.authHeaders(token)) } catch let e as WebSocketClient.Failure {
            throw ValidationError(e.description)
        }
        while let m = try ws.receive() {
            if case .text(let line) = m {
                print(line)
                fflushStdout()
            }
        }
        if let (code, reason) = ws.closeReason, code != 1000 && code != 1001 {
            throw ValidationError("the server closed the tail (\(code)): \(reason)")
        }
    }
}

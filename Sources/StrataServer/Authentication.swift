import Foundation
import HTTPTypes
import Hummingbird

/// Token authentication for the HTTP API, on when `auth_tokens` is configured. A request
/// carries a token in any of the forms log shippers can send:
/// `Authorization: Bearer TOKEN` (OTLP exporters, curl), `Authorization: Basic base64(user:TOKEN)`
/// (Loki clients, Beats, Fluent Bit; the user name is ignored), `Authorization: ApiKey TOKEN`
/// (Elasticsearch clients) or `X-API-Key: TOKEN`. Without a valid one the answer is 401
/// `unauthorized` with `WWW-Authenticate: Bearer`. `/health` stays open for load balancers.
/// Tokens are compared in constant time.
struct Authentication<Context: RequestContext>: RouterMiddleware {
    let tokens: [[UInt8]]

    init(tokens: [String]) { self.tokens = tokens.map { Array($0.utf8) } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if tokens.isEmpty || request.uri.path == "/health" { return try await next(request, context) }
        if let presented = Self.token(request.headers), tokens.contains(where: { Self.constantTimeEqual($0, presented) }) {
            return try await next(request, context)
        }
        var r = StrataServer.json(APIError(.unauthorized, "a valid API token is required (Authorization: Bearer TOKEN)").json, status: .unauthorized)
        r.headers[.wwwAuthenticate] = "Bearer"
        return r
    }

    static func token(_ headers: HTTPFields) -> [UInt8]? {
        if let k = headers[HTTPField.Name("X-API-Key")!] { return Array(k.utf8) }
        guard let auth = headers[.authorization] else { return nil }
        let parts = auth.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        switch parts[0].lowercased() {
        case "bearer", "apikey": return Array(parts[1].utf8)
        case "basic":
            guard let raw = Data(base64Encoded: String(parts[1])), let colon = raw.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            return Array(raw[raw.index(after: colon)...])
        default: return nil
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in a.indices { d |= a[i] ^ b[i] }
        return d == 0
    }
}

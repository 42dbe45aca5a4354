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
///
/// With `rate_limit_per_token` > 0, each token has a bucket of twice that many requests,
/// refilled at that rate; a request finding it empty gets 429 `rate_limited` with `Retry-After`.
struct Authentication<Context: RequestContext>: RouterMiddleware {
    let tokens: [[UInt8]]
    let limiter: RateLimiter?

    init(tokens: [String], ratePerSecond: Int) {
        self.tokens = tokens.map { Array($0.utf8) }
        limiter = ratePerSecond > 0 ? RateLimiter(ratePerSecond: Double(ratePerSecond), keys: tokens.count) : nil
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if tokens.isEmpty || request.uri.path == "/health" { return try await next(request, context) }
        if let presented = Self.token(request.headers), let k = tokens.firstIndex(where: { Self.constantTimeEqual($0, presented) }) {
            if let limiter, !limiter.allow(k) {
                var r = StrataServer.json(APIError(.rateLimited, "this token is over its rate limit of \(Int(limiter.ratePerSecond)) requests per second").json,
                                          status: .tooManyRequests)
                r.headers[.retryAfter] = "1"
                return r
            }
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

/// Token buckets, one per key: capacity 2 × rate, refilled continuously. Thread-safe.
final class RateLimiter: @unchecked Sendable {
    let ratePerSecond: Double
    private let lock = NSLock()
    private var level: [Double]
    private var last: [UInt64]

    init(ratePerSecond: Double, keys: Int) {
        self.ratePerSecond = ratePerSecond
        level = [Double](repeating: 2 * ratePerSecond, count: keys)
        last = [UInt64](repeating: DispatchTime.now().uptimeNanoseconds, count: keys)
    }

    func allow(_ key: Int, now: UInt64 = DispatchTime.now().uptimeNanoseconds) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = Double(now &- last[key]) / 1e9
        last[key] = now
        level[key] = min(2 * ratePerSecond, level[key] + elapsed * ratePerSecond)
        guard level[key] >= 1 else { return false }
        level[key] -= 1
        return true
    }
}

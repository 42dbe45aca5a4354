import StrataFormat

/// An error answer of the HTTP API: `{"error":{"code":"…","message":"…"}}` with a stable,
/// machine-readable `code` (clients branch on it; the message is for people) and the HTTP
/// status that goes with it. `position` is set for query syntax errors (0-based offset).
public struct APIError: Error, Sendable, Equatable {
    public enum Code: String, Sendable {
        case badQuery = "bad_query"
        case badRequest = "bad_request"
        case badEncoding = "bad_encoding"
        case invalidRecords = "invalid_records"
        case bodyTooLarge = "body_too_large"
        case lineTooLarge = "line_too_large"
        case notFound = "not_found"
        case unauthorized = "unauthorized"
        case rateLimited = "rate_limited"
        /// A live tail fell too far behind (sent on the WebSocket before it closes).
        case slowConsumer = "slow_consumer"
        case overloaded = "overloaded"
        /// Too many searches at once (503, `Retry-After`).
        case busy = "busy"
        case storageUnavailable = "storage_unavailable"
        /// The data directory's disk is below the free-space reserve (503, `Retry-After`).
        case storageFull = "storage_full"
        case unsupportedMediaType = "unsupported_media_type"
        case internalError = "internal"

        /// The HTTP status of this code.
        public var status: Int {
            switch self {
            case .badQuery, .badRequest, .badEncoding, .invalidRecords: 400
            case .bodyTooLarge, .lineTooLarge: 413
            case .notFound: 404
            case .unauthorized: 401
            case .overloaded, .rateLimited, .slowConsumer: 429
            case .storageUnavailable, .storageFull, .busy: 503
            case .unsupportedMediaType: 415
            case .internalError: 500
            }
        }

        /// Seconds a client should wait before retrying (`Retry-After`), for codes that mean
        /// "not now" rather than "never".
        public var retryAfterSeconds: Int? {
            switch self {
            case .overloaded, .busy, .rateLimited: 1
            case .storageUnavailable: 5
            case .storageFull: 10
            default: nil
            }
        }
    }

    public var code: Code
    public var message: String
    public var position: Int?
    /// A complete JSON body to answer instead of the error object (e.g. the ingest result of a
    /// batch whose every record was rejected).
    public var body: [UInt8]?

    public init(_ code: Code, _ message: String, position: Int? = nil, body: [UInt8]? = nil) {
        self.code = code
        self.message = message
        self.position = position
        self.body = body
    }

    /// The JSON body.
    public var json: [UInt8] {
        if let body { return body }
        var out = [UInt8]()
        out.append(contentsOf: #"{"error":{"code":"#.utf8)
        LogEntryJSON.appendString(code.rawValue, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        LogEntryJSON.appendString(message, to: &out)
        if let position { out.append(contentsOf: ",\"position\":\(position)".utf8) }
        out.append(contentsOf: "}}\n".utf8)
        return out
    }
}

import StrataFormat

/// One HTTP response of the agent's listener, in the server's JSON shapes: a result body, or
/// `{"error":{"code":"…","message":"…"}}` with the server's stable codes and statuses, so a
/// client cannot tell the agent's `POST /api/logs` from the server's.
struct HTTPAnswer: Sendable {
    /// The server's error codes (`APIError.Code` in StrataServer) that the agent answers.
    enum ErrorCode: String, Sendable {
        case badRequest = "bad_request"
        case badEncoding = "bad_encoding"
        case invalidRecords = "invalid_records"
        case bodyTooLarge = "body_too_large"
        case lineTooLarge = "line_too_large"
        case notFound = "not_found"
        case unsupportedMediaType = "unsupported_media_type"
        case storageUnavailable = "storage_unavailable"

        /// The status the server answers with this code.
        var status: Int {
            switch self {
            case .badRequest, .badEncoding, .invalidRecords: 400
            case .bodyTooLarge, .lineTooLarge: 413
            case .notFound: 404
            case .unsupportedMediaType: 415
            case .storageUnavailable: 503
            }
        }
    }

    /// The HTTP status code.
    var status: Int
    /// The JSON body, sent with `Content-Type: application/json`.
    var body: [UInt8]
    /// Extra header lines (`Allow`, `Retry-After`).
    var headers: [(name: String, value: String)] = []
    /// Close the connection after this answer (the request's body may be unread, or the
    /// connection's state is unknown).
    var close = false

    /// A JSON body with `status`.
    static func json(_ body: [UInt8], status: Int = 200) -> HTTPAnswer {
        HTTPAnswer(status: status, body: body)
    }

    /// An error answer; `status` overrides the code's own (405, 431, which the server maps to
    /// `bad_request` too).
    static func error(_ code: ErrorCode, _ message: String, status: Int? = nil, close: Bool = false) -> HTTPAnswer {
        var out = Array(#"{"error":{"code":"#.utf8)
        LogEntryJSON.appendString(code.rawValue, to: &out)
        out.append(contentsOf: #","message":"#.utf8)
        LogEntryJSON.appendString(message, to: &out)
        out.append(contentsOf: "}}\n".utf8)
        return HTTPAnswer(status: status ?? code.status, body: out, close: close)
    }

    /// The response bytes: status line, headers, body.
    func serialized(closing: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n"
        for h in headers { head += "\(h.name): \(h.value)\r\n" }
        if closing { head += "Connection: close\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    /// The reason phrase of `status` (RFC 9110 §15).
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: "Continue"
        case 200: "OK"
        case 400: "Bad Request"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Content Too Large"
        case 415: "Unsupported Media Type"
        case 431: "Request Header Fields Too Large"
        case 501: "Not Implemented"
        case 503: "Service Unavailable"
        default: "Status \(status)"
        }
    }
}

/// One HTTP response as the shipper sees it: the whole body is read before `send` returns.
public struct AgentHTTPResponse: Sendable {
    /// Status code (100–999 are syntactically accepted; 1xx interim responses are skipped).
    public var status: Int
    /// The reason phrase as sent (may be empty).
    public var reason: String
    /// Header fields in arrival order; names lower-cased, values without surrounding
    /// whitespace. Repeated fields stay separate entries.
    public var headers: [(name: String, value: String)]
    /// The body after removing chunked framing (content codings are not undone).
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, reason: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
    }

    /// The value of the first field called `name` (any case), or `nil`. O(number of fields).
    public func header(_ name: String) -> String? {
        let key = AgentHTTPResponse.lowercased(name)
        return headers.first { $0.name == key }?.value
    }

    /// ASCII lower-casing without Foundation.
    static func lowercased(_ s: String) -> String {
        String(decoding: s.utf8.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

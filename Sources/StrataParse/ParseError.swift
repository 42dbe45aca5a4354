/// Why a line could not be parsed: a reason and the byte offset within the line.
public struct ParseError: Error, CustomStringConvertible, Equatable, Sendable {
    public var reason: String
    public var offset: Int
    public init(_ reason: String, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }
    public var description: String { "\(reason) at byte \(offset)" }
}

/// Defaults applied to entries whose line does not say otherwise.
public struct ParseDefaults: Sendable {
    /// Receive time, used when a line carries no timestamp.
    public var receivedAtNanos: Int64
    public var service: String
    public var host: String
    public var source: String

    public init(receivedAtNanos: Int64, service: String = "", host: String = "", source: String = "") {
        self.receivedAtNanos = receivedAtNanos
        self.service = service
        self.host = host
        self.source = source
    }
}

/// Why a receiver refuses a whole request body (record-level problems are reported per record).
public struct ReceiverError: Error, Equatable, CustomStringConvertible, Sendable {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// What one input reports in heartbeats: its kind and state, what it read, and its last error.
public struct InputStatus: Sendable, Equatable {
    public var name: String
    public var type: String
    /// `running`, `blocked` (waiting for buffer space), `failed` or `stopped`.
    public var state: String
    /// Files open (file inputs) or connections (network inputs).
    public var files = 0
    public var lines = 0
    public var bytes = 0
    /// Lines cut at `max_line_bytes` and multiline events cut at their limits.
    public var truncated = 0
    public var errors = 0
    public var lastError: String?

    public init(name: String, type: String, state: String = "running") {
        self.name = name
        self.type = type
        self.state = state
    }
}

/// Anything that reports an `InputStatus` (file tailers, network listeners).
public protocol AgentInput: AnyObject, Sendable {
    var status: InputStatus { get }
    func start() throws(AgentRuntimeError)
    func stop()
}

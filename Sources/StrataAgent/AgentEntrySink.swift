import StrataFormat
/// Where an input hands its entries. `accept` blocks while the agent's buffers are full
/// (back-pressure) and returns false once the agent is stopping (the input should stop reading).
public protocol AgentEntrySink: AnyObject, Sendable {
    func accept(_ entries: [LogEntry]) -> Bool
}

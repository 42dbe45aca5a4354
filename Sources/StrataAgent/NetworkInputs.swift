import StrataIO

/// The syslog and HTTP listeners as agent inputs (status for heartbeats, start and stop).
enum NetworkInputs {
    static func syslog(_ c: NetworkInputConfig, sink: AgentEntrySink, host: String) throws(AgentRuntimeError) -> AgentInput {
        let transport: SyslogInput.Transport = c.transport == "tcp" ? .tcp : .udp
        let config = SyslogInput.Config(address: c.address, transport: transport, maxMessageBytes: c.maxMessageBytes,
                                        defaults: EntryDefaults(service: c.service ?? "", host: "", source: "syslog"))
        let input = SyslogInput(config: config, sink: sink)
        return ListenerInput(name: c.name, type: "syslog", label: input.name, start: { () throws(AgentInputError) in try input.start() },
                             stop: input.stop) {
            let s = input.stats
            return (s.activeConnections, s.messages, s.truncatedMessages, s.invalidEntries)
        }
    }

    static func http(_ c: NetworkInputConfig, sink: AgentEntrySink, host: String) throws(AgentRuntimeError) -> AgentInput {
        let config = HTTPInput.Config(address: c.address, maxBodyBytes: c.maxMessageBytes,
                                      defaults: EntryDefaults(service: c.service ?? "", host: host, source: "http"))
        let input = HTTPInput(config: config, sink: sink)
        return ListenerInput(name: c.name, type: "http", label: input.name, start: { () throws(AgentInputError) in try input.start() },
                             stop: input.stop) {
            let s = input.stats
            return (s.activeConnections, s.acceptedEntries, 0, s.rejectedRecords)
        }
    }
}

/// A network listener (syslog, HTTP) as an agent input: its state and counters
/// (connections, entries, truncated, rejected) for heartbeats.
final class ListenerInput: AgentInput, @unchecked Sendable {
    let name: String
    let type: String
    let label: String
    private let startListener: () throws(AgentInputError) -> Int
    private let stopListener: () -> Void
    private let counters: () -> (connections: Int, entries: Int, truncated: Int, rejected: Int)
    private let lock = ConditionLock()
    private var state = "starting"
    /// The bound port (useful when the address asked for port 0).
    private(set) var port = 0

    init(name: String, type: String, label: String, start: @escaping () throws(AgentInputError) -> Int, stop: @escaping () -> Void,
         counters: @escaping () -> (connections: Int, entries: Int, truncated: Int, rejected: Int)) {
        self.name = name
        self.type = type
        self.label = label
        startListener = start
        stopListener = stop
        self.counters = counters
    }

    func start() throws(AgentRuntimeError) {
        do { port = try startListener() } catch { throw .listen(address: label, reason: error.description) }
        lock.withLock { state = "running" }
    }

    func stop() {
        stopListener()
        lock.withLock { state = "stopped" }
    }

    var status: InputStatus {
        let c = counters()
        var st = InputStatus(name: name, type: type, state: lock.withLock { state })
        st.files = c.connections
        st.lines = c.entries
        st.truncated = c.truncated
        st.errors = c.rejected
        return st
    }
}

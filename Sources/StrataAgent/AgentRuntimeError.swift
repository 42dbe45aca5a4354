#if canImport(Glibc)
import Glibc
#endif

/// A failure while the agent runs: where, and what was expected.
public enum AgentRuntimeError: Error, CustomStringConvertible, Sendable {
    case io(path: String, operation: String, errno: Int32)
    case corruptCheckpoints(path: String, line: Int, reason: String)
    case listen(address: String, reason: String)
    case stopped

    public var description: String {
        switch self {
        case .io(let p, let op, let e): "\(p): \(op) failed: \(String(cString: strerror(e))) (errno \(e))"
        case .corruptCheckpoints(let p, let l, let r): "\(p): line \(l): \(r)"
        case .listen(let a, let r): "cannot listen on \(a): \(r)"
        case .stopped: "the agent is stopping"
        }
    }
}

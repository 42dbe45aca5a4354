#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why an input could not start. Errors after the start (a client sending garbage, a reset
/// connection) are not thrown: they end that connection or are answered on it.
public enum AgentInputError: Error, Equatable, CustomStringConvertible {
    /// A listen address is not `host:port`, `[ipv6]:port` or `:port`, or its host does not resolve.
    case badAddress(String, reason: String)
    /// A socket call failed for the listener of `input` (e.g. `syslog tcp 0.0.0.0:514`).
    case socket(input: String, call: String, errno: Int32)
    /// The system refused another thread.
    case thread(name: String, errno: Int32)
    /// A setting of `input` is out of range.
    case invalidConfig(input: String, reason: String)
    /// `start()` was called on an input that was already started (an input runs once).
    case alreadyStarted(input: String)

    public var description: String {
        switch self {
        case .badAddress(let a, let reason): "listen address '\(a)': \(reason)"
        case .socket(let input, let call, let e): "\(input): \(call) failed: \(Self.message(e)) (errno \(e))"
        case .thread(let name, let e): "cannot start thread \(name): \(Self.message(e)) (errno \(e))"
        case .invalidConfig(let input, let reason): "\(input): \(reason)"
        case .alreadyStarted(let input): "\(input): already started (an input runs once; make a new one)"
        }
    }

    /// `strerror(e)`: the system's text for an errno.
    static func message(_ e: Int32) -> String {
        guard let s = strerror(e) else { return "unknown error" }
        return String(cString: s)
    }
}

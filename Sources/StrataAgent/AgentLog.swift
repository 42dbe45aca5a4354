import StrataFormat
import StrataIO
#if canImport(Glibc)
import Glibc
#endif

/// The agent's own diagnostics: one line per event on stderr (`TIME LEVEL message`), which
/// systemd or a container runtime collects. Never used per log line.
public enum AgentLog {
    public static func info(_ message: String) { write("INFO", message) }
    public static func warning(_ message: String) { write("WARN", message) }
    public static func error(_ message: String) { write("ERROR", message) }

    private static func write(_ level: String, _ message: String) {
        var line = Array(Timestamp.format(wallClockNanos()).utf8)
        line.append(contentsOf: " \(level) \(message)\n".utf8)
        _ = line.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// The agent's version, sent in heartbeats and the User-Agent header.
public enum AgentVersion {
    public static let string = "0.1.0"
}

/// Durations as text (`bucket(…)`, `--from now-1h`, retention and compaction settings): an
/// integer and a unit `ns us ms s m h d w`.
public enum DurationText {
    /// The nanoseconds of `text`, or nil if it is not such a duration (or overflows).
    public static func parseNanos(_ text: String) -> Int64? {
        let digits = text.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let n = Int64(digits) else { return nil }
        let scale: Int64
        switch text.dropFirst(digits.count) {
        case "ns": scale = 1
        case "us": scale = 1_000
        case "ms": scale = 1_000_000
        case "s": scale = 1_000_000_000
        case "m": scale = 60_000_000_000
        case "h": scale = 3_600_000_000_000
        case "d": scale = 86_400_000_000_000
        case "w": scale = 604_800_000_000_000
        default: return nil
        }
        let (v, overflow) = n.multipliedReportingOverflow(by: scale)
        return overflow ? nil : v
    }
}

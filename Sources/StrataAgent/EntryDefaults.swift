import StrataFormat
import StrataParse

/// What an input sets on entries that do not say it themselves: service, host and source
/// (used where a message has no APP-NAME/TAG, HOST, …) and fields added to every entry unless
/// the entry already has that key.
public struct EntryDefaults: Sendable, Equatable {
    public var service: String
    public var host: String
    public var source: String
    /// Added in this order, after the entry's own fields, within `Limits.maxFieldsPerEntry`.
    public var fields: [Field]

    public init(service: String = "", host: String = "", source: String = "", fields: [Field] = []) {
        self.service = service
        self.host = host
        self.source = source
        self.fields = fields
    }

    /// The parser defaults for entries received at `receivedAtNanos`.
    func parseDefaults(receivedAtNanos: Int64) -> ParseDefaults {
        ParseDefaults(receivedAtNanos: receivedAtNanos, service: service, host: host, source: source)
    }

    /// Adds the default fields `entry` lacks.
    /// - Complexity: O(fields × entry's fields).
    func addFields(to entry: inout LogEntry) {
        for f in fields where entry.fields.count < Limits.maxFieldsPerEntry && entry.field(f.key) == nil {
            entry.fields.append(f)
        }
    }
}

import StrataFormat

/// Builds one entry from a protocol's attributes or labels, mapping the well-known names of
/// OpenTelemetry, ECS, Loki and syslog conventions to the entry's columns:
///
/// | column | keys (first one seen wins) |
/// | --- | --- |
/// | service | `service.name`, `service_name`, `service`, `app`, `application`, `job` |
/// | host | `host.name`, `hostname`, `host` |
/// | level | `level`, `log.level`, `severity`, `detected_level`, `lvl` (normalised; else kept as a field) |
/// | source | `log.file.path`, `filename`, `source` |
///
/// Every other key (and a mapped key whose column is already set) becomes a field, first value
/// kept, at most `Limits.maxFieldsPerEntry`.
public struct EntryAssembler {
    public var timestamp: Int64?
    public var level: LogLevel = .unknown
    public var message = ""
    public var service: String?
    public var host: String?
    public var source: String?
    public var fields: [Field] = []
    public var tags: [String] = []

    public enum Column { case service, host, level, source }

    public init() {}

    public static func column(of key: String) -> Column? {
        switch key {
        case "service.name", "service_name", "service", "app", "application", "job": .service
        case "host.name", "hostname", "host": .host
        case "level", "log.level", "severity", "detected_level", "lvl": .level
        case "log.file.path", "filename", "source": .source
        default: nil
        }
    }

    public mutating func attribute(_ key: String, _ value: FieldValue) {
        if case .string(let s) = value, let c = Self.column(of: key) {
            switch c {
            case .service where service == nil: service = s; return
            case .host where host == nil: host = s; return
            case .source where source == nil: source = s; return
            case .level where level == .unknown:
                if let l = LogLevel.normalise(s) { level = l; return }
            default: break
            }
        }
        addField(key, value)
    }

    public mutating func addField(_ key: String, _ value: FieldValue) {
        guard !key.isEmpty, fields.count < Limits.maxFieldsPerEntry, !fields.contains(where: { $0.key == key }) else { return }
        fields.append(Field(key, value))
    }

    public func build(defaults: ParseDefaults) -> LogEntry {
        LogEntry(timestampNanos: timestamp ?? defaults.receivedAtNanos, level: level, message: message,
                 service: service ?? defaults.service, host: host ?? defaults.host, source: source ?? defaults.source,
                 fields: fields, tags: tags)
    }

    /// Moves well-known dotted fields of an already parsed entry (ECS documents: `host.name`,
    /// `service.name`, `log.level`, `log.file.path`) into its columns when those are empty.
    public static func promoteWellKnownFields(_ e: inout LogEntry) {
        var kept = [Field]()
        kept.reserveCapacity(e.fields.count)
        for f in e.fields {
            if case .string(let s) = f.value, f.key.contains("."), let c = column(of: f.key) {
                switch c {
                case .service where e.service.isEmpty: e.service = s; continue
                case .host where e.host.isEmpty: e.host = s; continue
                case .source where e.source.isEmpty: e.source = s; continue
                case .level where e.level == .unknown:
                    if let l = LogLevel.normalise(s) { e.level = l; continue }
                default: break
                }
            }
            kept.append(f)
        }
        e.fields = kept
    }
}


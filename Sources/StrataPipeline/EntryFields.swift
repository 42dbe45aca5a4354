import StrataFormat

/// Reads and writes an entry's parts by name, as pipeline processors address them: the
/// reserved names `message`, `level`, `service`, `host`, `source` and `timestamp` are the
/// entry's own columns; any other name is a dynamic field.
///
/// Invariant: setting a reserved name never creates a field of that name; a level that does not
/// normalise, or a timestamp that does not parse, is refused (returns false) and changes nothing.
extension LogEntry {
    /// The text of part `key`, or nil when absent.
    public func text(of key: String) -> String? {
        switch key {
        case "message": return message
        case "level": return level == .unknown ? nil : level.description
        case "service": return service.isEmpty ? nil : service
        case "host": return host.isEmpty ? nil : host
        case "source": return source.isEmpty ? nil : source
        case "timestamp": return Timestamp.format(timestampNanos)
        default: return field(key)?.text
        }
    }

    /// Sets part `key`; returns false when a reserved part refuses the value.
    @discardableResult
    public mutating func set(_ key: String, _ value: FieldValue) -> Bool {
        switch key {
        case "message": message = value.text
        case "level":
            guard let l = LogLevel.normalise(value.text) else { return false }
            level = l
        case "service": service = value.text
        case "host": host = value.text
        case "source": source = value.text
        case "timestamp":
            guard let t = Timestamp.parseRFC3339(value.text) else { return false }
            timestampNanos = t
        default:
            if let i = fields.firstIndex(where: { $0.key == key }) {
                fields[i].value = value
            } else if fields.count < Limits.maxFieldsPerEntry {
                fields.append(Field(key, value))
            } else {
                return false
            }
        }
        return true
    }

    /// Removes part `key` (a reserved part is cleared); returns its former value.
    @discardableResult
    public mutating func remove(_ key: String) -> FieldValue? {
        switch key {
        case "message": defer { message = "" }; return message.isEmpty ? nil : .string(message)
        case "level": defer { level = .unknown }; return level == .unknown ? nil : .string(level.description)
        case "service": defer { service = "" }; return service.isEmpty ? nil : .string(service)
        case "host": defer { host = "" }; return host.isEmpty ? nil : .string(host)
        case "source": defer { source = "" }; return source.isEmpty ? nil : .string(source)
        case "timestamp": return nil
        default:
            guard let i = fields.firstIndex(where: { $0.key == key }) else { return nil }
            return fields.remove(at: i).value
        }
    }

    /// The typed value of part `key` (reserved parts as strings), or nil.
    public func value(of key: String) -> FieldValue? {
        switch key {
        case "message", "level", "service", "host", "source", "timestamp": return text(of: key).map { .string($0) }
        default: return field(key)
        }
    }
}

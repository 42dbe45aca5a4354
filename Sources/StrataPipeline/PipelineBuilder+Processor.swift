import StrataFormat
import StrataParse

extension PipelineBuilder {
    /// One `processors:` item: a mapping with one key, the processor's name, whose value holds
    /// its settings (`- rename: {fields: {msg: message}}`); `- host_metadata` alone also works.
    func processor(_ item: ConfigReader, pipeline: String) throws(PipelineConfigError) -> any PipelineStage {
        let kind: String
        let r: ConfigReader
        switch item.value {
        case .scalar(let s):
            kind = s
            r = ConfigReader(value: .map([]), path: item.path + "." + s)
        case .map(let pairs) where pairs.count == 1:
            kind = pairs[0].0
            let v = pairs[0].1
            r = ConfigReader(value: v == .null ? .map([]) : v, path: item.path + "." + kind)
        default:
            throw PipelineConfigError.invalid(path: item.path, expected: "a mapping with one processor name (\(PipelineBuilder.processorNames.joined(separator: ", ")))")
        }
        switch kind {
        case "rename":
            guard let pairs = try r.stringMap("fields") else { throw PipelineConfigError.missing(path: r.path + ".fields") }
            return Transforms.rename(pairs)
        case "remove":
            guard let keys = try r.strings("fields") else { throw PipelineConfigError.missing(path: r.path + ".fields") }
            return Transforms.remove(keys)
        case "add":
            guard let pairs = try r.stringMap("fields") else { throw PipelineConfigError.missing(path: r.path + ".fields") }
            return Transforms.add(pairs, overwrite: try r.bool("overwrite") ?? false)
        case "convert":
            guard let pairs = try r.stringMap("fields") else { throw PipelineConfigError.missing(path: r.path + ".fields") }
            return try Transforms.convert(pairs, path: r.path)
        case "map":
            let field = try r.requiredString("field")
            guard let values = try r.stringMap("values") else { throw PipelineConfigError.missing(path: r.path + ".values") }
            return Transforms.map(field: field, target: try r.string("target") ?? field,
                                  table: Dictionary(values, uniquingKeysWith: { a, _ in a }), fallback: try r.string("default"))
        case "mask":
            return try MaskStage(fields: try r.strings("fields") ?? [], patterns: try r.strings("patterns") ?? [],
                                 replacement: try r.string("replacement") ?? "[REDACTED]", path: r.path)
        case "timestamp":
            let zone: TimeZoneRule
            let zoneText = try r.string("timezone") ?? "UTC"
            do { zone = try TimeZoneRule(zoneText) } catch { throw PipelineConfigError.invalid(path: r.path + ".timezone", expected: "UTC, an offset or an IANA zone: \(error)") }
            let formats = try r.strings("formats")
            let format = try r.strings("format")
            return try Transforms.timestamp(field: try r.requiredString("field"), formats: formats ?? format ?? [],
                                            zone: zone, removeField: try r.bool("remove") ?? false, path: r.path)
        case "level":
            let mapping = try r.stringMap("mapping") ?? []
            return Transforms.level(field: try r.string("field") ?? "level", mapping: Dictionary(mapping, uniquingKeysWith: { a, _ in a }),
                                    removeField: try r.bool("remove") ?? false)
        case "geoip":
            return try GeoIPStage(field: try r.string("field") ?? "client_ip", databasePath: resolve(try r.requiredString("database")),
                                  target: try r.string("target") ?? "geo", path: r.path)
        case "user_agent":
            return try UserAgentStage(field: try r.string("field") ?? "user_agent", rulesPath: try r.string("rules").map(resolve),
                                      target: try r.string("target") ?? "ua", path: r.path)
        case "lookup":
            return try LookupStage(field: try r.requiredString("field"), tablePath: resolve(try r.requiredString("table")),
                                   keyColumn: try r.string("key_column"), prefix: try r.string("prefix") ?? "", path: r.path)
        case "host_metadata":
            return HostMetadataStage()
        case "drop", "keep":
            return try QueryFilterStage(kind: kind, query: try r.requiredString("query"), keepMatches: kind == "keep", path: r.path)
        case "sample":
            let oneInSetting = try r.int("one_in")
            let rateSetting = try r.int("rate")
            let oneIn = oneInSetting ?? rateSetting ?? 1
            let perSecond = try r.int("per_second") ?? 0
            guard oneIn >= 1, perSecond >= 0, oneIn > 1 || perSecond > 0 else { throw PipelineConfigError.invalid(path: r.path, expected: "one_in ≥ 2 or per_second ≥ 1") }
            return SampleStage(oneIn: oneIn, perSecond: perSecond)
        case "rate_limit":
            guard let perSecond = try r.double("per_second"), perSecond > 0 else { throw PipelineConfigError.missing(path: r.path + ".per_second") }
            return RateLimitStage(key: try r.string("key"), perSecond: perSecond, burst: try r.double("burst") ?? perSecond)
        case "dedup":
            return DedupStage(fields: try r.strings("fields") ?? [], windowNanos: try r.duration("window") ?? 10_000_000_000)
        case "aggregate":
            let name = try r.string("name") ?? pipeline
            guard let first = name.utf8.first, first >= 0x61 && first <= 0x7A,
                  name.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }) else {
                throw PipelineConfigError.invalid(path: r.path + ".name", expected: "a metric name of [a-z0-9_]")
            }
            let window = try r.duration("window") ?? 60_000_000_000
            guard window >= 1_000_000_000 && window <= 86_400_000_000_000 else { throw PipelineConfigError.invalid(path: r.path + ".window", expected: "a window from 1s to 24h") }
            let groupBy = try r.strings("group_by") ?? []
            for g in groupBy where g == "pipeline" || g.isEmpty {
                throw PipelineConfigError.invalid(path: r.path + ".group_by", expected: "field names other than 'pipeline' (the label every series carries)")
            }
            return AggregateStage(name: name, windowNanos: window, groupBy: groupBy,
                                  sums: try r.strings("sum") ?? [], avgs: try r.strings("avg") ?? [])
        default:
            throw PipelineConfigError.unknown(path: item.path, name: kind, known: PipelineBuilder.processorNames)
        }
    }
}

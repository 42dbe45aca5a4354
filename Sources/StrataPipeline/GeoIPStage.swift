import StrataFormat

/// `geoip: {field: client_ip, database: GeoLite2-City.mmdb, target: geo}` — looks the IP of
/// `field` up in a MaxMind DB and adds `target.country_code`, `target.country_name`,
/// `target.city`, `target.region`, `target.latitude`, `target.longitude`, `target.asn`,
/// `target.as_org` (those the database has).
///
/// Invariant: the database is opened once when the pipeline is built (a bad file is a
/// configuration error); an entry without the field, with an invalid address or with an
/// address the database does not cover is left unchanged.
final class GeoIPStage: PipelineStage {
    let kind = "geoip"
    let field: String
    let target: String
    let database: GeoIPDatabase

    init(field: String, databasePath: String, target: String, path: String) throws(PipelineConfigError) {
        self.field = field
        self.target = target
        do { database = try GeoIPDatabase(path: databasePath) } catch { throw PipelineConfigError.failed(path: path + ".database", reason: error.description) }
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        for i in entries.indices {
            guard let ip = entries[i].text(of: field) else { continue }
            for (k, v) in database.geoFields(ip) {
                let key = target.isEmpty ? k : target + "." + k
                switch v {
                case .string(let s): entries[i].set(key, .string(s))
                case .number(let d): entries[i].set(key, d.rounded() == d && d.magnitude < 1e15 ? .int(Int64(d)) : .float(d))
                }
            }
        }
    }
}

/// The value of one flattened GeoIP log field: text, or a number (coordinates, ASN).
///
/// Invariant: `.number` carries every numeric MMDB type converted to Double (ASNs are 32-bit,
/// so they convert exactly).
public enum GeoFieldValue: Sendable, Equatable {
    /// Text: codes and names.
    case string(String)
    /// A number: latitude, longitude, ASN.
    case number(Double)
}

/// One log field and the record paths it may come from, tried in order (first present wins).
struct GeoFieldSpec: Sendable {
    let name: String
    let numeric: Bool
    let paths: [[MMDBPathComponent]]
    let bytePaths: [[MMDBByteStep]]

    init(_ name: String, numeric: Bool = false, _ paths: [[MMDBPathComponent]]) {
        self.name = name
        self.numeric = numeric
        self.paths = paths
        self.bytePaths = paths.map { $0.map(MMDBByteStep.init) }
    }

    /// The field value for a decoded value found at one of the paths, or nil on a type mismatch.
    func convert(_ v: MMDBValue) -> GeoFieldValue? {
        if numeric { return v.doubleValue.map { .number($0) } }
        return v.stringValue.map { .string($0) }
    }
}

extension GeoIPDatabase {
    /// The fields `geoFields` produces, in output order. The shapes are those of GeoIP2 /
    /// GeoLite2 City, Country and ASN records (and ISP/Enterprise `traits` for the AS fields).
    static let geoFieldSpecs: [GeoFieldSpec] = [
        GeoFieldSpec("country_code", [["country", "iso_code"]]),
        GeoFieldSpec("country_name", [["country", "names", "en"]]),
        GeoFieldSpec("city", [["city", "names", "en"]]),
        GeoFieldSpec("region", [["subdivisions", 0, "names", "en"], ["subdivisions", 0, "iso_code"]]),
        GeoFieldSpec("latitude", numeric: true, [["location", "latitude"]]),
        GeoFieldSpec("longitude", numeric: true, [["location", "longitude"]]),
        GeoFieldSpec("asn", numeric: true, [["autonomous_system_number"], ["traits", "autonomous_system_number"]]),
        GeoFieldSpec("as_org", [["autonomous_system_organization"], ["traits", "autonomous_system_organization"]]),
    ]

    /// Log fields for `ip`, flattened from the usual GeoIP2 record shapes:
    /// `country_code` (country.iso_code), `country_name` (country.names.en), `city`
    /// (city.names.en), `region` (subdivisions[0].names.en, else subdivisions[0].iso_code),
    /// `latitude` / `longitude` (location.*), `asn` (autonomous_system_number) and `as_org`
    /// (autonomous_system_organization).
    ///
    /// Invariants: fields keep that order; only fields present in the record (with the expected
    /// type: text, or a number for latitude/longitude/asn) are returned; invalid address text, an
    /// address without data, or a corrupt record all give an empty array (use `lookup` to see
    /// the error). Only the needed parts of the record are decoded.
    public func geoFields(_ ip: String) -> [(key: String, value: GeoFieldValue)] {
        guard let address = IPAddress(ip) else { return [] }
        do {
            guard let offset = try dataOffset(for: address).offset else { return [] }
            var out: [(key: String, value: GeoFieldValue)] = []
            for spec in Self.geoFieldSpecs {
                for path in spec.bytePaths {
                    guard let f = try data.locate(path, from: offset), let v = spec.convert(try data.decode(f)) else { continue }
                    out.append((spec.name, v))
                    break
                }
            }
            return out
        } catch {
            return []
        }
    }

    /// The same flattening as `geoFields(_:)` applied to an already decoded record.
    public static func geoFields(from record: MMDBValue) -> [(key: String, value: GeoFieldValue)] {
        var out: [(key: String, value: GeoFieldValue)] = []
        for spec in geoFieldSpecs {
            for path in spec.paths {
                guard let raw = record.value(at: path), let v = spec.convert(raw) else { continue }
                out.append((spec.name, v))
                break
            }
        }
        return out
    }
}

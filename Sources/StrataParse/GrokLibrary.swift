#if canImport(Glibc)
import Glibc
#endif

/// Named grok pattern definitions (`NAME regex`), as in Logstash's pattern files.
///
/// `builtin` holds a small core written for Strata (numbers, words, IPs, hosts, paths, URIs,
/// dates, log levels, Apache/nginx and syslog lines) so grok works with no files; the standard
/// library files (e.g. logstash-patterns-core's `patterns/legacy/*`) load as they are with
/// `load(directory:)` and override built-ins of the same name.
///
/// Invariant: names are `[A-Za-z0-9_]+`; a later definition of a name replaces an earlier one.
public struct GrokLibrary: Sendable {
    /// Definitions by name.
    public private(set) var definitions: [String: String]

    /// A library holding only `definitions`.
    public init(definitions: [String: String] = [:]) { self.definitions = definitions }

    /// The built-in core.
    public static var builtin: GrokLibrary {
        var l = GrokLibrary()
        try! l.add(text: GrokLibrary.builtinText, origin: "builtin")
        return l
    }

    /// Adds the definitions of a pattern file's text (`#` comments and blank lines skipped).
    /// - Throws: `GrokError.badDefinition` naming `origin` and the line.
    public mutating func add(text: String, origin: String) throws(GrokError) {
        var lineNumber = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(raw)
            while let l = line.last, l == "\r" || l == " " || l == "\t" { line.removeLast() }
            while let f = line.first, f == " " || f == "\t" { line.removeFirst() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let sp = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                throw GrokError.badDefinition(origin: origin, line: lineNumber, reason: "expected 'NAME regex'")
            }
            let name = String(line[..<sp])
            guard name.utf8.allSatisfy({ GrokLibrary.isNameByte($0) }) else {
                throw GrokError.badDefinition(origin: origin, line: lineNumber, reason: "invalid pattern name '\(name)'")
            }
            definitions[name] = String(line[sp...].drop(while: { $0 == " " || $0 == "\t" }))
        }
    }

    /// Adds every regular file of `directory` (sorted by name) as a pattern file.
    public mutating func load(directory: String) throws(GrokError) {
        guard let dir = opendir(directory) else { throw GrokError.unreadable(path: directory, errno: errno) }
        var names: [String] = []
        while let e = readdir(dir) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if !name.hasPrefix(".") { names.append(name) }
        }
        closedir(dir)
        for name in names.sorted() { try load(file: directory + "/" + name) }
    }

    /// Adds one pattern file.
    public mutating func load(file path: String) throws(GrokError) {
        guard let f = fopen(path, "rb") else { throw GrokError.unreadable(path: path, errno: errno) }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        try add(text: String(decoding: bytes, as: UTF8.self), origin: path)
    }

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
    }

    /// Strata's own core definitions (written for Strata; standard names, own regexes).
    static let builtinText = #"""
    INT [+-]?[0-9]+
    POSINT \b[1-9][0-9]*\b
    NONNEGINT \b[0-9]+\b
    BASE10NUM [+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?
    NUMBER %{BASE10NUM}
    BASE16NUM [+-]?(?:0[xX])?[0-9A-Fa-f]+
    WORD \b\w+\b
    NOTSPACE \S+
    SPACE \s*
    DATA .*?
    GREEDYDATA .*
    QUOTEDSTRING "(?:[^"\\]|\\.)*+"|'(?:[^'\\]|\\.)*+'
    QS %{QUOTEDSTRING}
    UUID [0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}
    USERNAME [A-Za-z0-9._@-]+
    USER %{USERNAME}
    EMAILADDRESS [A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+
    IPV4 (?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?![0-9])
    IPV6 (?:[0-9A-Fa-f]{1,4}:){1,7}(?::[0-9A-Fa-f]{1,4}){0,6}(?::|[0-9A-Fa-f]{1,4})?|::(?:[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){0,6})?|::[fF]{4}:%{IPV4}
    IP (?:%{IPV4}|%{IPV6})
    HOSTNAME \b[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62})(?:\.[0-9A-Za-z](?:[0-9A-Za-z_-]{0,62}))*\.?
    HOST %{HOSTNAME}
    IPORHOST (?:%{IP}|%{HOSTNAME})
    HOSTPORT %{IPORHOST}:%{POSINT}
    UNIXPATH (?:/[^/\s]*)+
    PATH %{UNIXPATH}
    URIPROTO [A-Za-z][A-Za-z0-9+.-]*
    URIPATH (?:/[^\s?#]*)+
    URIPARAM \?[^\s#]*
    URIPATHPARAM %{URIPATH}(?:%{URIPARAM})?
    URI %{URIPROTO}://[^\s/?#]+(?:%{URIPATHPARAM})?
    MONTH \b(?:[Jj]an|[Ff]eb|[Mm]ar|[Aa]pr|[Mm]ay|[Jj]un|[Jj]ul|[Aa]ug|[Ss]ep|[Oo]ct|[Nn]ov|[Dd]ec)[a-z]*\b
    MONTHNUM 0?[1-9]|1[0-2]
    MONTHDAY (?:[12][0-9]|3[01]|0?[1-9])
    DAY \b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\b
    YEAR [0-9]{4}
    HOUR (?:[01]?[0-9]|2[0-3])
    MINUTE [0-5][0-9]
    SECOND (?:[0-5]?[0-9]|60)(?:[.,][0-9]+)?
    TIME %{HOUR}:%{MINUTE}:%{SECOND}
    ISO8601_TIMEZONE (?:Z|[+-]%{HOUR}(?::?%{MINUTE})?)
    TIMESTAMP_ISO8601 %{YEAR}-%{MONTHNUM}-%{MONTHDAY}[T ]%{HOUR}:%{MINUTE}(?::%{SECOND})?%{ISO8601_TIMEZONE}?
    DATE_US %{MONTHNUM}[/-]%{MONTHDAY}[/-]%{YEAR}
    DATE_EU %{MONTHDAY}[./-]%{MONTHNUM}[./-]%{YEAR}
    HTTPDATE %{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} [+-][0-9]{4}
    SYSLOGTIMESTAMP %{MONTH} +%{MONTHDAY} %{TIME}
    PROG [\x21-\x5a\x5c\x5e-\x7e]+
    SYSLOGPROG %{PROG:program}(?:\[%{POSINT:pid}\])?
    SYSLOGHOST %{IPORHOST}
    SYSLOGBASE %{SYSLOGTIMESTAMP:timestamp} (?:%{SYSLOGHOST:logsource} )?%{SYSLOGPROG}:
    SYSLOGLINE %{SYSLOGBASE} ?%{GREEDYDATA:message}
    LOGLEVEL (?i:trace|debug|info(?:rmation(?:al)?)?|notice|warn(?:ing)?|err(?:or)?|crit(?:ical)?|fatal|severe|emerg(?:ency)?|alert)
    COMMONAPACHELOG %{IPORHOST:clientip} %{USER:ident} %{USER:auth} \[%{HTTPDATE:timestamp}\] "(?:%{WORD:verb} %{NOTSPACE:request}(?: HTTP/%{NUMBER:httpversion})?|%{DATA:rawrequest})" %{NUMBER:response} (?:%{NUMBER:bytes}|-)
    COMBINEDAPACHELOG %{COMMONAPACHELOG} "%{DATA:referrer}" "%{DATA:agent}"
    """#
}

/// Why a grok library or pattern could not be built.
public enum GrokError: Error, CustomStringConvertible, Equatable, Sendable {
    case badDefinition(origin: String, line: Int, reason: String)
    case unreadable(path: String, errno: Int32)
    case unknownPattern(name: String, in: String)
    case tooDeep(name: String)
    case badSyntax(pattern: String, offset: Int, reason: String)
    case regex(RegexSyntaxError)

    public var description: String {
        switch self {
        case .badDefinition(let origin, let line, let reason): "\(origin):\(line): \(reason)"
        case .unreadable(let path, let e): "\(path): cannot read (errno \(e))"
        case .unknownPattern(let name, let p): "unknown grok pattern %{\(name)} in \(p)"
        case .tooDeep(let name): "grok pattern %{\(name)} nests more than \(GrokPattern.maxDepth) levels (does it refer to itself?)"
        case .badSyntax(let p, let offset, let reason): "\(reason) at offset \(offset) of \(p)"
        case .regex(let e): e.description
        }
    }
}

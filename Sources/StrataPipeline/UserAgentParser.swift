import StrataIO
/// What a user-agent string says about the client. Every field is "" when unknown.
///
/// Invariants: `browser`, `os` and `device` are names copied from the rules file; versions are
/// at most `UserAgentParser.maxVersionLength` bytes, start with a digit, and use `.` where the
/// user agent used `_` (or are the replacement a `map=` option gave).
public struct UserAgentInfo: Sendable, Equatable {
    /// Browser or client name, e.g. "Chrome", "Safari", "curl", "Googlebot".
    public var browser: String
    /// Its version as written, e.g. "120.0.0.0".
    public var browserVersion: String
    /// Operating system, e.g. "Windows", "iOS", "Android", "macOS", "Linux".
    public var os: String
    /// Its version, e.g. "10" (Windows NT 10.0), "17.1", "10.15.7".
    public var osVersion: String
    /// Device class from the rules; the default rules give "mobile", "tablet", "bot" or "desktop".
    public var device: String

    /// An info value with the given fields (all default to unknown).
    public init(browser: String = "", browserVersion: String = "", os: String = "", osVersion: String = "", device: String = "") {
        self.browser = browser
        self.browserVersion = browserVersion
        self.os = os
        self.osVersion = osVersion
        self.device = device
    }
}

/// Classifies user-agent strings with rules loaded from a plain-text file: substring tests on
/// bytes (no regular expressions), tried in file order, the first matching rule of each kind
/// wins.
///
/// Rules file format, one rule per line (blank lines and `#` comments are ignored):
///
///     <kind> <name> <token> [option ...]
///
/// - `kind`: `browser`, `os` or `device`.
/// - `name`: the output value, e.g. `Chrome`, `iOS`, `mobile`.
/// - `token`: bytes that must occur in the user agent (case-sensitive). `*` matches any
///   non-empty user agent (a default). A token ending in `/` captures the version after it.
/// - Fields are separated by spaces or tabs; wrap a field in `"` to keep spaces
///   (`"Windows NT"`, `"Samsung Internet"`, `requires="Mobile Safari"`). A field cannot contain a
///   `"`. An unquoted `#` at the start of a field begins a comment.
///
/// Options:
/// - `version`: capture the version right after the token (implied by a trailing `/`).
/// - `version=<token>`: capture the version after this other token instead
///   (Safari: `browser Safari Safari/ version=Version/`); empty when it is absent.
/// - `requires=<token>`: the rule applies only if this also occurs (repeatable).
/// - `unless=<token>`: the rule does not apply if this occurs (repeatable).
/// - `map=<version>:<text>,...`: replace a captured version equal to `<version>`
///   (`map=10.0:10,6.1:7` turns `Windows NT 6.1` into "7"); needs a version capture. Neither
///   side may contain `,` or `:`.
/// - `nocase`: ASCII case-insensitive matching of the token, `requires`, `unless` and
///   `version=` tokens.
///
/// A version is read after optional spaces: bytes up to a space, tab, `;`, `)`, `(`, `,` or
/// `"`, at most `maxVersionLength` of them; it must start with a digit or it is "". `_` becomes
/// `.` (`Mac OS X 10_15_7` gives "10.15.7").
///
/// Invariants: parsing never fails; it builds no Strings but the returned versions (names are
/// shared copies from the rules), and the lower-cased copy `nocase` rules need is a temporary
/// stack buffer for usual lengths. The parser is immutable and safe to share across tasks.
/// Versions longer than 15 bytes (rare) are the only outputs that allocate.
public struct UserAgentParser: Sendable {
    /// Longest version string returned; longer runs are cut.
    public static let maxVersionLength = 32
    /// File name of the rules shipped with Strata.
    public static let defaultRulesFileName = "user-agents.rules"

    let browsers: UserAgentRuleTable
    let oses: UserAgentRuleTable
    let devices: UserAgentRuleTable
    private let needsFolding: Bool

    /// Compiles the rules in `rules` (the file format above). Throws naming the first bad line.
    public init(rules: String) throws(UserAgentRulesError) {
        let all = try UserAgentRule.parseFile(rules)
        browsers = UserAgentRuleTable(all.filter { $0.kind == .browser })
        oses = UserAgentRuleTable(all.filter { $0.kind == .os })
        devices = UserAgentRuleTable(all.filter { $0.kind == .device })
        needsFolding = browsers.needsFolding || oses.needsFolding || devices.needsFolding
    }

    /// Loads the rules file at `path` (normally `user-agents.rules` from Strata's config dir).
    public static func loadDefault(from path: String) throws(UserAgentRulesError) -> UserAgentParser {
        let bytes: [UInt8]
        do { bytes = try FileSystem.readFile(path) } catch { throw .unreadableFile(path: path, errno: error.errno) }
        return try UserAgentParser(rules: String(decoding: bytes, as: UTF8.self))
    }

    /// Classifies the user agent in `ua` (raw bytes of the header value).
    public func parse(_ ua: UnsafeRawBufferPointer) -> UserAgentInfo {
        guard needsFolding, !ua.isEmpty else { return classify(ua, folded: ua) }
        // `nocase` rules search an ASCII-lower-cased copy (on the stack for usual lengths).
        return withUnsafeTemporaryAllocation(byteCount: ua.count, alignment: 1) { buffer in
            for i in 0..<ua.count {
                let c = ua[i]
                buffer[i] = c >= 65 && c <= 90 ? c | 0x20 : c
            }
            return classify(ua, folded: UnsafeRawBufferPointer(buffer))
        }
    }

    /// Classifies the user agent `ua`.
    public func parse(_ ua: String) -> UserAgentInfo {
        var text = ua
        return text.withUTF8 { parse(UnsafeRawBufferPointer($0)) }
    }

    private func classify(_ ua: UnsafeRawBufferPointer, folded: UnsafeRawBufferPointer) -> UserAgentInfo {
        let b = browsers.firstMatch(ua, folded: folded)
        let o = oses.firstMatch(ua, folded: folded)
        let d = devices.firstMatch(ua, folded: folded)
        return UserAgentInfo(browser: b.name, browserVersion: b.version, os: o.name, osVersion: o.version, device: d.name)
    }
}

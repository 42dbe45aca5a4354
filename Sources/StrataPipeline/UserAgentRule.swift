/// Why a user-agent rules file was refused.
///
/// Invariant: `line` is 1-based and `text` is that line as written (trimmed), so the message
/// can be shown to whoever edits the file.
public enum UserAgentRulesError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The rules file could not be opened or read; `errno` is the operating-system error number.
    case unreadableFile(path: String, errno: Int32)
    /// Line `line` is not a valid rule.
    case invalidRule(line: Int, text: String, reason: String)

    /// One line: the file or the line number, the rule text and what is wrong.
    public var description: String {
        switch self {
        case .unreadableFile(let path, let errno): "\(path): cannot read rules file (errno \(errno))"
        case .invalidRule(let line, let text, let reason): "line \(line): \(reason): \(text)"
        }
    }
}

/// The three things a rule can name.
enum UserAgentRuleKind: String, Sendable {
    case browser, os, device
}

/// One compiled line of a rules file (the format is documented on `UserAgentParser`).
///
/// Invariants: `token`, `requires`, `unless` and `versionToken` are non-empty byte strings,
/// lower-cased when `noCase` is set (the matcher folds the user agent the same way);
/// `versionMap` only exists when the rule captures a version.
struct UserAgentRule: Sendable {
    var kind: UserAgentRuleKind
    var name: String
    var token: [UInt8]
    var matchesAll = false
    var noCase = false
    /// Capture a version after `token` (no `versionToken`) or after `versionToken`.
    var capturesVersion = false
    var versionToken: [UInt8]?
    var requires: [[UInt8]] = []
    var unless: [[UInt8]] = []
    var versionMap: [(from: [UInt8], to: String)] = []
    var line: Int

    /// Compiles every rule in `text`, in file order.
    static func parseFile(_ text: String) throws(UserAgentRulesError) -> [UserAgentRule] {
        var rules: [UserAgentRule] = []
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so it must be named as a separator of its own.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            lineNumber += 1
            if let rule = try parseLine(String(line), number: lineNumber) { rules.append(rule) }
        }
        return rules
    }

    /// The rule on one line, or nil for a blank or comment line.
    static func parseLine(_ line: String, number: Int) throws(UserAgentRulesError) -> UserAgentRule? {
        let trimmed = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        func fail(_ reason: String) -> UserAgentRulesError { .invalidRule(line: number, text: trimmed, reason: reason) }
        guard let fields = splitFields(line) else { throw fail("unterminated quote") }
        if fields.isEmpty { return nil }
        guard let kind = UserAgentRuleKind(rawValue: fields[0]) else {
            throw fail("unknown kind '\(fields[0])' (expected browser, os or device)")
        }
        guard fields.count >= 3 else { throw fail("expected '\(kind.rawValue) <name> <token> [options]'") }
        guard !fields[1].isEmpty else { throw fail("empty name") }
        guard !fields[2].isEmpty else { throw fail("empty token") }
        var rule = UserAgentRule(kind: kind, name: fields[1], token: Array(fields[2].utf8), line: number)
        rule.matchesAll = fields[2] == "*"
        rule.capturesVersion = fields[2].hasSuffix("/")
        var mapText: String?
        for option in fields.dropFirst(3) {
            let parts = option.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0])
            let value = parts.count == 2 ? String(parts[1]) : nil
            switch (key, value) {
            case ("nocase", nil): rule.noCase = true
            case ("version", nil): rule.capturesVersion = true
            case ("version", let v?) where !v.isEmpty:
                rule.capturesVersion = true
                rule.versionToken = Array(v.utf8)
            case ("requires", let v?) where !v.isEmpty: rule.requires.append(Array(v.utf8))
            case ("unless", let v?) where !v.isEmpty: rule.unless.append(Array(v.utf8))
            case ("map", let v?) where !v.isEmpty: mapText = v
            case ("version", _), ("requires", _), ("unless", _), ("map", _):
                throw fail("option '\(key)' needs a non-empty value")
            default:
                throw fail("unknown option '\(option)' (expected version, version=, requires=, unless=, map=, nocase)")
            }
        }
        if rule.matchesAll && (rule.capturesVersion || rule.noCase) {
            throw fail("the token * matches every user agent and takes no version or nocase")
        }
        if let mapText {
            guard rule.capturesVersion else { throw fail("map= needs a rule that captures a version") }
            for entry in mapText.split(separator: ",") {
                let pair = entry.split(separator: ":", maxSplits: 1)
                guard pair.count == 2 else { throw fail("map entry '\(entry)' is not <version>:<name>") }
                rule.versionMap.append((Array(pair[0].utf8), String(pair[1])))
            }
        }
        if rule.noCase {
            rule.token = lowercased(rule.token)
            rule.requires = rule.requires.map(lowercased)
            rule.unless = rule.unless.map(lowercased)
            rule.versionToken = rule.versionToken.map(lowercased)
        }
        return rule
    }

    /// Splits a line into whitespace-separated fields; `"` quotes (removed) keep spaces and `#`
    /// inside a field; an unquoted `#` at the start of a field begins a comment. Nil when a quote
    /// is left open.
    static func splitFields(_ line: String) -> [String]? {
        var fields: [String] = []
        var current: [UInt8] = []
        var inField = false, quoted = false
        for c in line.utf8 {
            if quoted {
                if c == UInt8(ascii: "\"") { quoted = false } else { current.append(c) }
            } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") {
                if inField { fields.append(String(decoding: current, as: UTF8.self)); current = []; inField = false }
            } else if c == UInt8(ascii: "#") && !inField {
                break
            } else {
                inField = true
                if c == UInt8(ascii: "\"") { quoted = true } else { current.append(c) }
            }
        }
        if quoted { return nil }
        if inField { fields.append(String(decoding: current, as: UTF8.self)) }
        return fields
    }

    /// ASCII lower-casing, the folding `nocase` matching uses.
    static func lowercased(_ bytes: [UInt8]) -> [UInt8] {
        bytes.map { $0 >= 65 && $0 <= 90 ? $0 | 0x20 : $0 }
    }
}

import StrataFormat
import StrataIO

/// `user_agent: {field: user_agent, rules: user-agents.rules, target: ua}` — parses a
/// User-Agent header into `target.browser`, `target.browser_version`, `target.os`,
/// `target.os_version` and `target.device` (only the parts recognised). Without `rules`, the
/// built-in rules are used.
///
/// Invariant: rules are read and checked once when the pipeline is built.
final class UserAgentStage: PipelineStage {
    let kind = "user_agent"
    let field: String
    let target: String
    let parser: UserAgentParser

    init(field: String, rulesPath: String?, target: String, path: String) throws(PipelineConfigError) {
        self.field = field
        self.target = target
        var text = UserAgentParser.defaultRules
        if let rulesPath {
            let bytes: [UInt8]
            do { bytes = try FileSystem.readFile(rulesPath) } catch { throw PipelineConfigError.failed(path: path + ".rules", reason: error.description) }
            text = String(decoding: bytes, as: UTF8.self)
        }
        do { parser = try UserAgentParser(rules: text) } catch { throw PipelineConfigError.failed(path: path + ".rules", reason: "\(error)") }
    }

    func process(_ entries: inout [LogEntry], now: Int64) {
        let prefix = target.isEmpty ? "" : target + "."
        for i in entries.indices {
            guard case .string(var ua)? = entries[i].field(field) else { continue }
            let info = ua.withUTF8 { parser.parse(UnsafeRawBufferPointer($0)) }
            for (k, v) in [("browser", info.browser), ("browser_version", info.browserVersion), ("os", info.os),
                           ("os_version", info.osVersion), ("device", info.device)] where !v.isEmpty {
                entries[i].set(prefix + k, .string(v))
            }
        }
    }
}

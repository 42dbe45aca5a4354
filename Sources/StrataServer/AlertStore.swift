import Foundation
import StrataFormat
import StrataIO
import StrataQuery

/// Alert rules posted to `POST /api/alerts`, kept in `<data dir>/alerts.json` (rewritten
/// atomically on every change) for the alerting engine to evaluate. A rule is a JSON object
/// with a string `name` and a string `query` that parses; other keys (`threshold`, `window`,
/// `notify`, …) are kept as given. Each rule gets an `id` and a `created` time. Thread-safe.
public final class AlertStore: @unchecked Sendable {
    private let lock = ConditionLock()
    private let path: String
    private var rules: [[String: Any]] = []

    /// Loads the rules saved in `path`, if any.
    public init(path: String) throws(APIError) {
        self.path = path
        guard FileSystem.exists(path) else { return }
        do {
            let bytes = try FileSystem.readFile(path)
            guard let list = try JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]] else {
                throw APIError(.internalError, "\(path): expected a JSON array of alert rules")
            }
            rules = list
        } catch let e as APIError {
            throw e
        } catch {
            throw APIError(.internalError, "\(path): \(error)")
        }
    }

    /// Validates and stores a rule; returns it as stored (JSON).
    public func add(_ body: [UInt8], now: Int64 = wallClockNanos()) throws(APIError) -> [UInt8] {
        guard var rule = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw APIError(.badRequest, "an alert rule must be a JSON object")
        }
        guard let name = rule["name"] as? String, !name.isEmpty else { throw APIError(.badRequest, "an alert rule needs a non-empty string \"name\"") }
        guard let query = rule["query"] as? String else { throw APIError(.badRequest, "alert rule '\(name)' needs a string \"query\"") }
        do throws(QuerySyntaxError) { _ = try Query.parse(query) } catch {
            throw APIError(.badQuery, "alert rule '\(name)': \(error.message)", position: error.position)
        }
        lock.lock()
        defer { lock.unlock() }
        rule["id"] = String(format: "%016llx", UInt64.random(in: 1...UInt64.max))
        rule["created"] = Timestamp.format(now)
        let next = rules + [rule]
        do {
            let data = try JSONSerialization.data(withJSONObject: next, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
            try FileSystem.writeAtomically([UInt8](data), to: path)
        } catch {
            throw APIError(.storageUnavailable, "cannot save alert rules to \(path): \(error)")
        }
        rules = next
        return [UInt8]((try? JSONSerialization.data(withJSONObject: rule, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()) + [0x0A]
    }

    /// `{"alerts":[…]}` in the order they were added.
    public func json() -> [UInt8] {
        let list = lock.withLock { rules }
        let data = (try? JSONSerialization.data(withJSONObject: ["alerts": list], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{\"alerts\":[]}".utf8)
        return [UInt8](data) + [0x0A]
    }
}

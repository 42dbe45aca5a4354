import Foundation
import StrataFormat
import StrataIO

/// The agents that sent `POST /api/agents/heartbeat`, by id: the last heartbeat of each (as
/// sent, any JSON object with at least a string `id`) and when it arrived. An agent is
/// `online` while its last heartbeat is younger than `staleAfterSeconds`. Kept in memory: a
/// restarted server learns its agents again from their next heartbeats. Thread-safe.
public final class AgentRegistry: @unchecked Sendable {
    struct Agent {
        var heartbeat: [String: Any]
        var lastSeenNanos: Int64
        var count: Int
    }

    private let lock = ConditionLock()
    private var agents: [String: Agent] = [:]
    public let staleAfterSeconds: Int64

    public init(staleAfterSeconds: Int64 = 60) { self.staleAfterSeconds = staleAfterSeconds }

    /// Records a heartbeat body; returns the agent id.
    public func record(_ body: [UInt8], at nanos: Int64 = wallClockNanos()) throws(APIError) -> String {
        guard let obj = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] else {
            throw APIError(.badRequest, "a heartbeat must be a JSON object")
        }
        guard let id = obj["id"] as? String, !id.isEmpty, id.utf8.count <= 256 else {
            throw APIError(.badRequest, "a heartbeat needs a non-empty string \"id\" (at most 256 bytes)")
        }
        lock.withLock {
            let n = (agents[id]?.count ?? 0) + 1
            agents[id] = Agent(heartbeat: obj, lastSeenNanos: nanos, count: n)
        }
        return id
    }

    /// `{"agents":[{"id","host","version","status","last_seen","heartbeats","heartbeat":{…}}]}`, by id.
    public func json(at nanos: Int64 = wallClockNanos()) -> [UInt8] {
        let list: [(String, Agent)] = lock.withLock { agents.sorted { $0.key < $1.key } }
        var items = [[String: Any]]()
        for (id, a) in list {
            let online = nanos - a.lastSeenNanos <= staleAfterSeconds * 1_000_000_000
            items.append([
                "id": id,
                "host": a.heartbeat["host"] as? String ?? "",
                "version": a.heartbeat["version"] as? String ?? "",
                "status": online ? "online" : "stale",
                "last_seen": Timestamp.format(a.lastSeenNanos),
                "heartbeats": a.count,
                "heartbeat": a.heartbeat,
            ])
        }
        let data = (try? JSONSerialization.data(withJSONObject: ["agents": items], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{\"agents\":[]}".utf8)
        return [UInt8](data) + [0x0A]
    }
}

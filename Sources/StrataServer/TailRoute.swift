import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import StrataFormat
import StrataQuery

/// `GET /api/tail?q=QUERY` as a WebSocket: every newly stored entry that matches the query's
/// filter is sent as one text message holding the entry's JSON, as it is stored. A query that
/// does not parse (or has `|` stages) is refused before the upgrade with 400 and the JSON error.
/// A client that falls too far behind gets one text message
/// `{"error":{"code":"slow_consumer",…}}` and the connection is closed; ingest never waits.
extension StrataServer {
    func tailUpgrade(_ request: HTTPRequest) -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> {
        let path = request.path ?? ""
        let parts = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.first == "/api/tail" else { return .dontUpgrade }
        // Without a valid token the upgrade is refused; the HTTP route then answers 401.
        if !config.authTokens.isEmpty {
            let tokens = config.authTokens.map { Array($0.utf8) }
            guard let t = Authentication<BasicRequestContext>.token(request.headerFields),
                  tokens.contains(where: { Authentication<BasicRequestContext>.constantTimeEqual($0, t) }) else { return .dontUpgrade }
        }
        let q = QueryString.parse(parts.count > 1 ? String(parts[1]) : nil)["q"] ?? ""
        let filter: EntryFilter
        do throws(QuerySyntaxError) { filter = try EntryFilter(query: q) } catch { return .dontUpgrade }
        let tail = self.tail
        let metrics = self.metrics
        return .upgrade([:]) { inbound, outbound, _ in
            let (id, events) = tail.subscribe(filter)
            metrics.tailsChanged(by: 1)
            defer {
                tail.unsubscribe(id)
                metrics.tailsChanged(by: -1)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The client's side: ends when it closes (its messages are ignored).
                group.addTask { for try await _ in inbound {} }
                group.addTask {
                    for await event in events {
                        switch event {
                        case .entries(let entries):
                            for e in entries {
                                var out = [UInt8]()
                                LogEntryJSON.append(e, to: &out)
                                try await outbound.write(.text(String(decoding: out, as: UTF8.self)))
                            }
                            tail.delivered(id)
                        case .overflow:
                            let e = APIError(.slowConsumer, "this tail fell more than \(tail.maxQueuedBatches) batches behind and was dropped")
                            try await outbound.write(.text(String(decoding: e.json.dropLast(), as: UTF8.self)))
                            try await outbound.close(.policyViolation, reason: "slow consumer")
                            return
                        }
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// Answers `GET /api/tail` requests that are not WebSocket upgrades, or whose query is bad.
    func tailRefusal(_ request: Request) -> Response {
        let q = QueryString.parse(request.uri.query)["q"] ?? ""
        do throws(QuerySyntaxError) { _ = try EntryFilter(query: q) } catch {
            return Self.json(APIError(.badQuery, error.message, position: error.position).json, status: .badRequest)
        }
        return Self.json(APIError(.badRequest, "/api/tail is a WebSocket: connect with an Upgrade: websocket request").json, status: .badRequest)
    }
}

import Dispatch
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import StrataCodec
import StrataEngine
import StrataFormat
import StrataIO
import StrataParse
import StrataPipeline
import StrataQuery
import StrataWAL

/// `strata serve`: the engine behind the HTTP API of DESIGN §4.
///
/// Routes: `POST /api/logs`, `GET /api/logs`, `GET /api/logs/{id}`, `GET /api/stats`,
/// `POST /api/agents/heartbeat`, `GET /api/agents`, `POST|GET /api/alerts`, `GET /health`, and
/// the compatibility receivers of `ProtocolRoutes.swift` (Elasticsearch, Loki, OTLP).
/// Every error is `{"error":{"code","message"}}` (see `APIError`). Blocking engine work runs
/// off the request threads (`Offload`). Shutdown (SIGTERM/SIGINT) stops accepting requests,
/// lets running ones finish, then flushes and closes the engine.
public final class StrataServer: Sendable {
    public let config: ServerConfig
    public let engine: Engine
    let executor: QueryExecutor
    let stats = IngestStats()
    public let metrics: ServerMetrics
    let agents = AgentRegistry()
    let alerts: AlertStore
    let ingestSlots: RequestSlots
    /// Memory for request bodies in flight (see `decodedBody`).
    let bodyBudget: BodyBudget
    /// Searches run at once; more get 503 (each search already uses every core).
    let searchSlots: RequestSlots
    /// Batches entries of the stream listeners (syslog, forward) into the engine.
    let sink: EntrySink
    /// Live tail subscribers (`GET /api/tail`).
    public let tail = TailHub()
    /// The configured pipelines (parse, transform, enrich, filter, route) every ingest path runs.
    let pipelines: PipelineRunner
    /// Certificates of the TLS listeners (`nil`: plain HTTP, no syslog over TLS).
    let tls: ServerTLS?

    /// Opens the data directory (replaying its WAL); does not listen yet.
    public init(config: ServerConfig) throws {
        try config.validate()
        tls = try ServerTLS.load(config)
        self.config = config
        let metrics = ServerMetrics()
        self.metrics = metrics
        var options = EngineOptions(dataDirectory: config.dataDir,
                                    wal: WALOptions(fsync: FsyncPolicy(config.fsync)!, onSync: { metrics.walSynced(nanos: $0) }))
        options.minFreeDiskBytes = UInt64(config.minFreeDiskBytes)
        options.onFlush = { metrics.flushed(entries: $0, nanos: $1) }
        if !config.archiveDir.isEmpty {
            options.archive = ArchiveOptions(store: try LocalDirectoryStore(root: config.archiveDir),
                                             afterNanos: config.archiveAfterSeconds * 1_000_000_000, cacheBytes: config.archiveCacheBytes)
        }
        if config.compaction { options.compaction = CompactionPolicy(maxWriteBytesPerSecond: config.compactionMaxWriteBytesPerSecond) }
        if config.retentionSeconds > 0 || config.maxDiskBytes > 0 || !config.retentionByService.isEmpty {
            options.retention = RetentionPolicy(maxAgeNanos: config.retentionSeconds > 0 ? config.retentionSeconds * 1_000_000_000 : nil,
                                                maxDiskBytes: config.maxDiskBytes > 0 ? UInt64(config.maxDiskBytes) : nil,
                                                byService: config.retentionByService.mapValues { $0 * 1_000_000_000 })
        }
        engine = try Engine(options: options)
        executor = QueryExecutor(engine: engine)
        alerts = try AlertStore(path: config.dataDir + "/alerts.json")
        ingestSlots = RequestSlots(limit: config.maxConcurrentIngests)
        searchSlots = RequestSlots(limit: config.maxConcurrentSearches)
        bodyBudget = BodyBudget(limit: max(config.maxInflightBodyBytes, 2 * config.maxBodyBytes))
        let stats = self.stats
        let tail = self.tail
        let runner = PipelineRunner(set: config.pipelines)
        pipelines = runner
        sink = EntrySink(engine: engine, transform: { runner.run($0, now: wallClockNanos()) }, publish: { tail.publish($0) }) { p, accepted, rejected in
            stats.record(accepted: accepted, rejected: rejected, bytes: 0)
            metrics.ingested(p, accepted: accepted, rejected: rejected, bytes: 0)
        }
    }

    /// The addresses the server listens on (ports resolved when 0 was asked for).
    public struct Listening: Sendable {
        public var http: Int
        public var syslogUDP: Int?
        public var syslogTCP: Int?
        public var syslogTLS: Int?
        public var forward: Int?
    }

    /// Listens until SIGTERM/SIGINT, then stops the listeners, writes what they queued, and
    /// flushes and closes the engine. `onListening` is called once every listener is bound.
    public func run(onListening: @escaping @Sendable (Listening) async -> Void = { _ in }) async throws {
        let (host, port) = ServerConfig.splitAddress(config.http)!
        // Stream listeners first, so their ports are known when the HTTP server reports ready.
        var streams = [Channel]()
        var listening = Listening(http: port)
        do {
            if let (h, p) = ServerConfig.splitAddress(config.syslogUDP) {
                let ch = try await SyslogListeners.udp(host: h, port: p, sink: sink)
                streams.append(ch)
                listening.syslogUDP = ch.localAddress?.port
            }
            if let (h, p) = ServerConfig.splitAddress(config.syslogTCP) {
                let ch = try await SyslogListeners.tcp(host: h, port: p, sink: sink)
                streams.append(ch)
                listening.syslogTCP = ch.localAddress?.port
            }
            if let (h, p) = ServerConfig.splitAddress(config.syslogTLS), let tls {
                let ch = try await SyslogListeners.tcp(host: h, port: p, sink: sink, tls: tls.context)
                streams.append(ch)
                listening.syslogTLS = ch.localAddress?.port
            }
            if let (h, p) = ServerConfig.splitAddress(config.forward) {
                let ch = try await ForwardListener.tcp(host: h, port: p, sink: sink)
                streams.append(ch)
                let bound = ch.localAddress?.port ?? p
                listening.forward = bound
                streams.append(try await ForwardListener.heartbeat(host: h, port: bound))
            }
        } catch {
            for ch in streams { try? await ch.close() }
            try? engine.close()
            throw error
        }
        let ready = listening
        var server = HTTPServerBuilder.http1WebSocketUpgrade(configuration: .init(http1: .init(additionalChannelHandlers: [ExpectContinue()]))) {
            [self] (request: HTTPRequest, _: Channel, _: Logger) in tailUpgrade(request)
        }
        if let tls { server = try .tls(server, tlsConfiguration: tls.configuration) }
        let app = Application(
            router: buildRouter(),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: "strata"),
            onServerRunning: { channel in
                var l = ready
                l.http = channel.localAddress?.port ?? port
                await onListening(l)
            })
        let flusher = Task.detached { [engine, config] in
            // Bounded staleness of the WAL: segments are written at least every interval.
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(config.flushIntervalSeconds) * 1_000_000_000)
                if Task.isCancelled { break }
                guard engine.unflushedCount > 0 else { continue }
                do throws(EngineError) { try await Offload.run { () throws(EngineError) in try engine.flush() } } catch {
                    // Writes now fail with 503 until a restart replays the WAL; say why once.
                    FileLog.error("strata: background flush failed: \(error)")
                }
            }
        }
        let maintainer = Task.detached { [engine, config] in
            // Retention, and compaction of partitions that settled without a flush to trigger it.
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(config.maintenanceIntervalSeconds) * 1_000_000_000)
                if Task.isCancelled { break }
                if let policy = engine.options.retention {
                    do throws(EngineError) { _ = try await Offload.run { () throws(EngineError) in try engine.enforceRetention(policy) } } catch {
                        FileLog.error("strata: retention failed: \(error)")
                    }
                }
                if engine.options.archive != nil {
                    do throws(EngineError) { _ = try await Offload.run { () throws(EngineError) in try engine.archiveOnce() } } catch {
                        FileLog.error("strata: archiving failed: \(error)")
                    }
                }
                engine.requestCompaction()
            }
        }
        var failure: Error?
        do { try await app.runService() } catch { failure = error }
        for ch in streams { try? await ch.close() }
        sink.drain()
        flusher.cancel()
        maintainer.cancel()
        _ = await flusher.result
        _ = await maintainer.result
        do throws(EngineError) { try engine.close() } catch {
            if failure == nil { failure = error }
        }
        if let failure { throw failure }
    }

    // MARK: - Routes

    func buildRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: JSONErrors())
        router.add(middleware: Authentication(tokens: config.authTokens, ratePerSecond: config.rateLimitPerToken))
        router.get("/health") { _, _ in Self.json(Array("{\"status\":\"ok\"}\n".utf8)) }
        router.get("/metrics") { [self] _, _ in
            let text = metrics.exposition(engine: engine, walBytes: walBytes()) + pipelines.metricsText(now: wallClockNanos())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: text)))
        }
        router.post("/api/logs") { [self] request, _ in await respond { () async throws(APIError) in try await ingest(request) } }
        router.get("/api/logs") { [self] request, _ in await respond { () async throws(APIError) in try await search(request) } }
        router.get("/api/logs/:id") { [self] _, context in
            await respond { () async throws(APIError) in try await entry(context.parameters.get("id") ?? "") }
        }
        router.get("/api/stats") { [self] _, _ in await respond { () async throws(APIError) in statsJSON() } }
        router.post("/api/agents/heartbeat") { [self] request, _ in
            await respond { () async throws(APIError) in
                let body = try await collect(request, limit: 1 << 20)
                let id = try agents.record(body)
                var out = Array(#"{"id":"#.utf8)
                LogEntryJSON.appendString(id, to: &out)
                out.append(contentsOf: ",\"accepted\":true}\n".utf8)
                return out
            }
        }
        router.get("/api/tail") { [self] request, _ in tailRefusal(request) }
        router.get("/api/agents") { [self] _, _ in await respond { () async throws(APIError) in agents.json() } }
        router.post("/api/alerts") { [self] request, _ in
            await respond(status: .created) { () async throws(APIError) in try alerts.add(try await collect(request, limit: 1 << 20)) }
        }
        router.get("/api/alerts") { [self] _, _ in await respond { () async throws(APIError) in alerts.json() } }
        addProtocolRoutes(router)
        return router
    }

    /// Runs a handler producing a JSON body; an `APIError` becomes its JSON error answer.
    func respond(status: HTTPResponse.Status = .ok, _ body: () async throws(APIError) -> [UInt8]) async -> Response {
        do throws(APIError) {
            return Self.json(try await body(), status: status)
        } catch {
            return Self.errorResponse(error)
        }
    }

    /// The JSON answer of `error`, with `Retry-After` when the code calls for one.
    static func errorResponse(_ error: APIError) -> Response {
        var r = Self.json(error.json, status: HTTPResponse.Status(code: error.code.status))
        if let s = error.code.retryAfterSeconds { r.headers[.retryAfter] = String(s) }
        return r
    }

    static func json(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The request body, at most `limit` bytes (413 beyond).
    func collect(_ request: Request, limit: Int) async throws(APIError) -> [UInt8] {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch is NIOTooManyBytesError {
            throw APIError(.bodyTooLarge, "request body exceeds \(limit) bytes")
        } catch {
            throw APIError(.badRequest, "cannot read the request body: \(error)")
        }
        return Array(buffer.readableBytesView)
    }

    // MARK: - Ingest

    func ingest(_ request: Request) async throws(APIError) -> [UInt8] {
        guard ingestSlots.acquire() else {
            throw APIError(.overloaded, "too many ingest requests in progress (\(config.maxConcurrentIngests)); retry later")
        }
        defer { ingestSlots.release() }
        let (body, wireBytes, hold) = try await decodedBody(request)
        defer { withExtendedLifetime(hold) {} }
        let defaults = ParseDefaults(receivedAtNanos: wallClockNanos())
        let maxLine = config.maxLineBytes
        let parsed: BatchBody
        do throws(BatchBody.Failure) {
            parsed = try withBytes(body) { (p: UnsafeRawBufferPointer) throws(BatchBody.Failure) in
                try BatchBody.parse(p, defaults: defaults, maxRecordBytes: maxLine)
            }
        } catch {
            switch error {
            case .recordTooLarge: throw APIError(.lineTooLarge, error.description + "; nothing of this request was stored")
            case .malformedArray: throw APIError(.badRequest, error.description + "; nothing of this request was stored")
            }
        }
        do throws(APIError) { try await store(parsed.entries) } catch {
            recordIngest(.api, accepted: 0, rejected: parsed.rejected + parsed.entries.count, bytes: wireBytes)
            throw error
        }
        recordIngest(.api, accepted: parsed.entries.count, rejected: parsed.rejected, bytes: wireBytes)
        var out = Array("{\"accepted\":\(parsed.entries.count),\"rejected\":\(parsed.rejected),\"errors\":[".utf8)
        for (i, e) in parsed.errors.enumerated() {
            if i > 0 { out.append(0x2C) }
            out.append(contentsOf: "{\"index\":\(e.index),\"reason\":".utf8)
            LogEntryJSON.appendString(e.reason, to: &out)
            out.append(0x7D)
        }
        out.append(contentsOf: "]}\n".utf8)
        if parsed.entries.isEmpty && parsed.rejected > 0 {
            // Nothing stored: 400, with the same body (every rejected record and its reason).
            throw APIError(.invalidRecords, "all \(parsed.rejected) records were rejected", body: out)
        }
        return out
    }

    /// The request body, decompressed per `Content-Encoding`, within `maxBodyBytes` both on
    /// the wire and decompressed; with the number of bytes received, and the reservation of
    /// memory it holds in `bodyBudget` (released when the caller lets go of it).
    func decodedBody(_ request: Request) async throws(APIError) -> (body: [UInt8], wireBytes: Int, hold: BodyBudget.Hold) {
        let enc = request.headers[.contentEncoding]?.lowercased()
        let compressed = enc != nil && enc != "identity"
        // What this request may occupy: its body as sent, and the decompressed body if encoded.
        let declared = request.headers[.contentLength].flatMap { Int($0) }.map { min($0, config.maxBodyBytes) } ?? config.maxBodyBytes
        guard let hold = bodyBudget.reserve(declared + (compressed ? config.maxBodyBytes : 0)) else {
            throw APIError(.overloaded, "request bodies in memory are at the server's limit (\(config.maxInflightBodyBytes) bytes); retry shortly")
        }
        let body = try await collect(request, limit: config.maxBodyBytes)
        guard let enc, compressed else { return (body, body.count, hold) }
        guard let e = StreamDecompression.Encoding(rawValue: enc == "x-gzip" ? "gzip" : enc) else {
            throw APIError(.unsupportedMediaType, "Content-Encoding '\(enc)' is not supported (gzip, deflate, zstd, lz4)")
        }
        let limit = config.maxBodyBytes
        do throws(StreamDecompression.Failure) {
            let out = try withBytes(body) { (p: UnsafeRawBufferPointer) throws(StreamDecompression.Failure) in
                try StreamDecompression.decompress(p, encoding: e, limit: limit)
            }
            return (out, body.count, hold)
        } catch {
            switch error {
            case .tooLarge: throw APIError(.bodyTooLarge, "decompressed body exceeds \(limit) bytes")
            case .invalid: throw APIError(.badEncoding, error.description)
            }
        }
    }

    /// Counts an ingest request in `/api/stats` and in the metrics.
    func recordIngest(_ p: IngestProtocol, accepted: Int, rejected: Int, bytes: Int) {
        stats.record(accepted: accepted, rejected: rejected, bytes: bytes)
        metrics.ingested(p, accepted: accepted, rejected: rejected, bytes: bytes)
    }

    /// Bytes of the WAL files now.
    func walBytes() -> Int {
        ((try? FileSystem.listDirectory(engine.walDirectory)) ?? []).reduce(0) {
            $0 + Int((try? FileSystem.fileSize(engine.walDirectory + "/" + $1)) ?? 0)
        }
    }

    /// Appends `entries` durably (WAL under the fsync policy) off the request threads.
    func store(_ received: [LogEntry]) async throws(APIError) {
        let entries = pipelines.run(received, now: wallClockNanos())
        guard !entries.isEmpty else { return }
        let engine = self.engine
        do throws(EngineError) {
            let ids = try await Offload.run { () throws(EngineError) in try engine.append(entries) }
            tail.publish(TailHub.stamped(entries, ids))
        } catch {
            switch error {
            case .invalidEntry(let i, let reason): throw APIError(.invalidRecords, "record \(i): \(reason); nothing was stored")
            case .diskFull: throw APIError(.storageFull, "\(error); the request was not acknowledged (retry once space is freed)")
            default: throw APIError(.storageUnavailable, "the store cannot accept writes: \(error); the request was not acknowledged (retry it)")
            }
        }
    }

    // MARK: - Search

    func search(_ request: Request) async throws(APIError) -> [UInt8] {
        guard searchSlots.acquire() else {
            throw APIError(.busy, "\(config.maxConcurrentSearches) searches are running; retry shortly")
        }
        defer { searchSlots.release() }
        let params = QueryString.parse(request.uri.query)
        let now = wallClockNanos()
        var from = Int64.min, to = Int64.max
        if let f = params["from"], !f.isEmpty {
            guard let v = TimeSpec.parse(f, now: now) else { throw APIError(.badRequest, "cannot parse from='\(f)' (RFC 3339, 'now' or relative like -15m)") }
            from = v
        }
        if let t = params["to"], !t.isEmpty {
            guard let v = TimeSpec.parse(t, now: now) else { throw APIError(.badRequest, "cannot parse to='\(t)' (RFC 3339, 'now' or relative like -15m)") }
            to = v
        }
        var limit = min(100, config.maxQueryLimit)
        if let l = params["limit"], !l.isEmpty {
            guard let v = Int(l), v >= 0 else { throw APIError(.badRequest, "limit must be a non-negative integer, got '\(l)'") }
            guard v <= config.maxQueryLimit else { throw APIError(.badRequest, "limit \(v) exceeds the maximum \(config.maxQueryLimit); page with cursor instead") }
            limit = v
        }
        var before: LogID? = nil
        if let c = params["cursor"], !c.isEmpty {
            guard let id = LogID(c) else { throw APIError(.badRequest, "cursor must be an entry id (32 hex digits), got '\(c)'") }
            before = id
        }
        let searchRequest = SearchRequest(query: params["q"] ?? "", fromNanos: from, toNanos: to, limit: limit, before: before)
        let executor = self.executor
        let result: SearchResult
        let t0 = monotonicNanos()
        do throws(QueryExecutor.SearchError) {
            result = try await Offload.run { () throws(QueryExecutor.SearchError) in try executor.search(searchRequest) }
            metrics.searched(nanos: monotonicNanos() - t0, failed: false)
        } catch {
            metrics.searched(nanos: monotonicNanos() - t0, failed: true)
            switch error {
            case .syntax(let e): throw APIError(.badQuery, e.message, position: e.position)
            default: throw APIError(.internalError, "the search failed reading the store: \(error)")
            }
        }
        var out = [UInt8]()
        if params["format"] == "ndjson" {
            // One hit (or stats row) a line; `strata query --server` streams this.
            if let columns = result.columns {
                for r in result.rows { ResultJSON.appendRow(r, columns: columns, to: &out); out.append(0x0A) }
            } else {
                for e in result.hits { ResultJSON.appendHit(e, projection: result.projection, to: &out); out.append(0x0A) }
            }
            return out
        }
        ResultJSON.appendResult(result, to: &out)
        out.append(0x0A)
        return out
    }

    func entry(_ idText: String) async throws(APIError) -> [UInt8] {
        guard let id = LogID(idText) else { throw APIError(.badRequest, "an entry id is 32 hex digits, got '\(idText)'") }
        let engine = self.engine
        let found: LogEntry?
        do throws(EngineError) { found = try await Offload.run { () throws(EngineError) in try engine.entry(id: id) } } catch {
            throw APIError(.storageUnavailable, "cannot read entry \(idText): \(error)")
        }
        guard let e = found else { throw APIError(.notFound, "no entry with id \(idText)") }
        var out = [UInt8]()
        LogEntryJSON.append(e, to: &out)
        out.append(0x0A)
        return out
    }

    // MARK: - Stats

    /// The archive tier: where, what it holds, what was moved since start.
    func archiveJSON(_ t: MaintenanceStats) -> String {
        let segs = engine.archiveSegments
        var location = [UInt8]()
        LogEntryJSON.appendString(config.archiveDir, to: &location)
        return """
        {"dir":\(String(decoding: location, as: UTF8.self)),"after_seconds":\(config.archiveAfterSeconds),\
        "partitions":\(Set(segs.map(\.partitionStartNanos)).count),"segments":\(segs.count),\
        "entries":\(segs.reduce(0) { $0 + $1.rowCount }),"bytes":\(segs.reduce(0) { $0 + $1.sizeInBytes }),\
        "archived_partitions":\(t.archivedPartitions),"bytes_read":\(t.archiveBytesRead),"bytes_written":\(t.archiveBytesWritten)}
        """
    }

    /// Compaction and retention: settings and what they have done since start.
    func maintenanceJSON() -> String {
        let t = engine.maintenanceStats
        let levels = engine.currentManifest.segments.reduce(into: [UInt8: Int]()) { $0[$1.level, default: 0] += 1 }
        let byLevel = levels.keys.sorted().map { "\"\($0)\":\(levels[$0]!)" }.joined(separator: ",")
        var error = "null"
        if let e = t.lastCompactionError {
            var out = [UInt8]()
            LogEntryJSON.appendString(e, to: &out)
            error = String(decoding: out, as: UTF8.self)
        }
        return """
        {"compaction":\(config.compaction),"compaction_max_write_bytes_per_second":\(config.compactionMaxWriteBytesPerSecond),\
        "segments_by_level":{\(byLevel)},"compactions":\(t.compactions),"compacted_segments":\(t.compactedInputSegments),\
        "compaction_bytes_read":\(t.compactionBytesRead),"compaction_bytes_written":\(t.compactionBytesWritten),\
        "compaction_seconds":\(Double(t.compactionNanos / 1_000_000) / 1000),"last_error":\(error),\
        "retention_seconds":\(config.retentionSeconds),"max_disk_bytes":\(config.maxDiskBytes),\
        "retention_dropped_partitions":\(t.retentionDroppedPartitions),"retention_dropped_segments":\(t.retentionDroppedSegments),\
        "retention_dropped_entries":\(t.retentionDroppedRows),"retention_dropped_bytes":\(t.retentionDroppedBytes),\
        "archive":\(config.archiveDir.isEmpty ? "null" : archiveJSON(t))}
        """
    }

    func statsJSON() -> [UInt8] {
        // One consistent reading: a flush in between cannot count entries twice or not at all.
        let c = engine.census
        let m = c.manifest
        let unflushed = c.unflushed
        let segmentRows = m.segments.reduce(0) { $0 + Int($1.rowCount) }
        let segmentBytes = m.segments.reduce(0) { $0 + Int($1.sizeInBytes) }
        let archiveRows = engine.archiveSegments.reduce(0) { $0 + Int($1.rowCount) }
        let walBytes = walBytes()
        let diskFree = (try? FileSystem.availableBytes(config.dataDir)).map(String.init) ?? "null"
        let partitions = Set(m.segments.map(\.partitionStartNanos)).union(c.unflushedPartitions).count
        let oldest = (m.segments.map(\.minTimestampNanos) + [c.unflushedMinNanos].compactMap { $0 }).min()
        let newest = (m.segments.map(\.maxTimestampNanos) + [c.unflushedMaxNanos].compactMap { $0 }).max()
        let s = stats.snapshot()
        func ts(_ v: Int64?) -> String { v.map { "\"\(Timestamp.format($0))\"" } ?? "null" }
        func rate(_ v: Double) -> String { String((v * 10).rounded() / 10) }
        let text = """
        {"entries":\(segmentRows + unflushed + archiveRows),"segment_entries":\(segmentRows),"unflushed_entries":\(unflushed),\
        "segments":\(m.segments.count),"partitions":\(partitions),\
        "bytes":{"segments":\(segmentBytes),"wal":\(walBytes),"total":\(segmentBytes + walBytes),\
        "disk_free":\(diskFree),"disk_reserve":\(config.minFreeDiskBytes)},\
        "oldest":\(ts(oldest)),"newest":\(ts(newest)),\
        "ingest":{"accepted_total":\(s.acceptedTotal),"rejected_total":\(s.rejectedTotal),"bytes_total":\(s.bytesTotal),\
        "entries_per_second_1m":\(rate(s.entriesPerSecond)),"bytes_per_second_1m":\(rate(s.bytesPerSecond))},\
        "maintenance":\(maintenanceJSON()),\
        "uptime_seconds":\((monotonicNanos() - stats.startedMonotonic) / 1_000_000_000)}

        """
        return Array(text.utf8)
    }
}

/// Bytes of request bodies the server holds at once. A reservation is a `Hold`; dropping it
/// gives the bytes back.
final class BodyBudget: @unchecked Sendable {
    private let lock = ConditionLock()
    private var used = 0
    let limit: Int
    init(limit: Int) { self.limit = limit }

    final class Hold: @unchecked Sendable {
        let budget: BodyBudget
        let bytes: Int
        init(_ budget: BodyBudget, _ bytes: Int) { self.budget = budget; self.bytes = bytes }
        deinit { budget.lock.withLock { budget.used -= bytes } }
    }

    /// A hold of `bytes`, or nil if that would pass the limit.
    func reserve(_ bytes: Int) -> Hold? {
        let ok: Bool = lock.withLock {
            guard used + bytes <= limit else { return false }
            used += bytes
            return true
        }
        return ok ? Hold(self, bytes) : nil
    }

    var inUse: Int { lock.withLock { used } }
}

/// A counter of requests of one kind in progress, refusing past `limit` (the caller answers
/// 429 or 503 with `Retry-After`).
final class RequestSlots: @unchecked Sendable {
    private let lock = ConditionLock()
    private var inUse = 0
    let limit: Int
    init(limit: Int) { self.limit = limit }
    func acquire() -> Bool { lock.withLock { guard inUse < limit else { return false }; inUse += 1; return true } }
    func release() { lock.withLock { inUse -= 1 } }
}

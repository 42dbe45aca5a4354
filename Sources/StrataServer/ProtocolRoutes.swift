import HTTPTypes
import Hummingbird
import NIOCore
import StrataFormat
import StrataIO
import StrataParse
import StrataReceivers

/// The compatibility endpoints: Elasticsearch (`GET|HEAD /`, `PUT|POST /_bulk`,
/// `/{index}/_bulk`), Loki push (`POST /loki/api/v1/push`, JSON) and OTLP/HTTP logs
/// (`POST /v1/logs`, protobuf or JSON). Each answers the way its real clients require
/// (see docs/http-api.md): Elasticsearch's product header and per-item bulk results, Loki's
/// 204, OTLP's (empty or partial-success) `ExportLogsServiceResponse` in the request's encoding.
extension StrataServer {
    static let elasticProduct = HTTPField.Name("X-Elastic-Product")!

    /// Every response says it is Elasticsearch: the official clients (8.x, 9.x) check the first
    /// 2xx answer they get, whatever the endpoint, and refuse to go on without it.
    struct ElasticProductHeader<Context: RequestContext>: RouterMiddleware {
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var r = try await next(request, context)
            r.headers[StrataServer.elasticProduct] = "Elasticsearch"
            return r
        }
    }

    /// Errors raised outside the handlers (no such route, a body the framework refused) in the
    /// API's JSON error format instead of an empty body.
    struct JSONErrors<Context: RequestContext>: RouterMiddleware {
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            do {
                return try await next(request, context)
            } catch let e as HTTPError {
                let code: APIError.Code = switch e.status.code {
                case 404: .notFound
                case 413: .bodyTooLarge
                case 415: .unsupportedMediaType
                case 429: .overloaded
                case 400..<500: .badRequest
                default: .internalError
                }
                let message = e.status.code == 404 ? "no route for \(request.method) \(request.uri.path)" : (e.body ?? e.status.reasonPhrase)
                return StrataServer.json(APIError(code, message).json, status: e.status)
            }
        }
    }

    func addProtocolRoutes(_ router: Router<BasicRequestContext>) {
        router.add(middleware: ElasticProductHeader())
        router.get("/") { _, _ in Self.json(Self.elasticInfo) }
        router.head("/") { _, _ in Self.json([]) }
        for method in [HTTPRequest.Method.put, .post] {
            router.on("/_bulk", method: method) { [self] request, _ in await elasticBulk(request, index: nil) }
            router.on("/:index/_bulk", method: method) { [self] request, context in
                await elasticBulk(request, index: context.parameters.get("index"))
            }
        }
        router.post("/loki/api/v1/push") { [self] request, _ in await lokiPush(request) }
        router.post("/v1/logs") { [self] request, _ in await otlpLogs(request) }
    }

    static let elasticInfo: [UInt8] = Array("""
        {"name":"strata","cluster_name":"strata","cluster_uuid":"c3RyYXRhLWxvZy1zdG9yZQ",\
        "version":{"number":"8.17.0","build_flavor":"default","build_type":"tar","build_hash":"strata",\
        "build_date":"2026-11-29T00:00:00.000Z","build_snapshot":false,"lucene_version":"9.12.0",\
        "minimum_wire_compatibility_version":"7.17.0","minimum_index_compatibility_version":"7.0.0"},\
        "tagline":"You Know, for Search"}

        """.utf8)

    /// An Elasticsearch-shaped error: `{"error":{"root_cause":[…],"type","reason"},"status":N}`.
    static func elasticError(_ status: Int, type: String, reason: String) -> Response {
        var cause = Array(#"{"type":"#.utf8)
        LogEntryJSON.appendString(type, to: &cause)
        cause.append(contentsOf: #","reason":"#.utf8)
        LogEntryJSON.appendString(reason, to: &cause)
        cause.append(0x7D)
        var out = Array(#"{"error":{"root_cause":["#.utf8) + cause + Array("],".utf8)
        out.append(contentsOf: cause.dropFirst())
        out.append(contentsOf: ",\"status\":\(status)}\n".utf8)
        return json(out, status: HTTPResponse.Status(code: status))
    }

    func elasticBulk(_ request: Request, index: String?) async -> Response {
        let started = monotonicNanos()
        guard ingestSlots.acquire() else { return Self.elasticError(429, type: "es_rejected_execution_exception", reason: "too many bulk requests in progress") }
        defer { ingestSlots.release() }
        let body: [UInt8], wire: Int
        var hold: BodyBudget.Hold? = nil
        defer { withExtendedLifetime(hold) {} }
        do throws(APIError) {
            let r = try await decodedBody(request)
            (body, wire, hold) = (r.body, r.wireBytes, r.hold)
        } catch {
            return Self.elasticError(error.code.status, type: "parse_exception", reason: error.message)
        }
        let defaults = ParseDefaults(receivedAtNanos: wallClockNanos())
        let items: [ElasticBulk.Item]
        do throws(ReceiverError) {
            items = try withBytes(body) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in
                try ElasticBulk.parse(p, defaultIndex: index, defaults: defaults)
            }
        } catch {
            recordIngest(.elasticsearch, accepted: 0, rejected: 1, bytes: wire)
            return Self.elasticError(400, type: "illegal_argument_exception", reason: error.reason)
        }
        let entries = items.compactMap(\.entry)
        do throws(APIError) { try await store(entries) } catch {
            recordIngest(.elasticsearch, accepted: 0, rejected: items.count, bytes: wire)
            var r = Self.elasticError(error.code.status, type: "es_rejected_execution_exception", reason: error.message)
            if let s = error.code.retryAfterSeconds { r.headers[.retryAfter] = String(s) }
            return r
        }
        recordIngest(.elasticsearch, accepted: entries.count, rejected: items.count - entries.count, bytes: wire)
        // One item per action, in order; successful documents report their Strata id unless
        // the client named one.
        var out = Array("{\"took\":\((monotonicNanos() - started) / 1_000_000),\"errors\":\(entries.count < items.count),\"items\":[".utf8)
        var seq = 0
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(0x2C) }
            out.append(0x7B)
            LogEntryJSON.appendString(item.action, to: &out)
            out.append(contentsOf: #":{"_index":"#.utf8)
            LogEntryJSON.appendString(item.index, to: &out)
            out.append(contentsOf: #","_id":"#.utf8)
            if let e = item.entry {
                LogEntryJSON.appendString(item.id ?? e.id.description, to: &out)
                out.append(contentsOf: ",\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":1,\"successful\":1,\"failed\":0},\"_seq_no\":\(seq),\"_primary_term\":1,\"status\":201}}".utf8)
                seq += 1
            } else {
                let f = item.failure ?? (500, "exception", "not stored")
                if let id = item.id { LogEntryJSON.appendString(id, to: &out) } else { out.append(contentsOf: "null".utf8) }
                out.append(contentsOf: ",\"status\":\(f.status),\"error\":{\"type\":".utf8)
                LogEntryJSON.appendString(f.type, to: &out)
                out.append(contentsOf: #","reason":"#.utf8)
                LogEntryJSON.appendString(f.reason, to: &out)
                out.append(contentsOf: "}}}".utf8)
            }
        }
        out.append(contentsOf: "]}\n".utf8)
        return Self.json(out)
    }

    func lokiPush(_ request: Request) async -> Response {
        let type = request.headers[.contentType]?.lowercased() ?? "application/json"
        let isProtobuf = type.hasPrefix("application/x-protobuf")
        let limit = config.maxBodyBytes
        return await ingestRecords(request, .loki) { (p: UnsafeRawBufferPointer, d: ParseDefaults) throws(ReceiverError) in
            // Promtail and Alloy send snappy-compressed protobuf; Python clients send JSON.
            let push = isProtobuf ? try LokiPush.parseProtobuf(p, defaults: d, limit: limit) : try LokiPush.parse(p, defaults: d)
            return (push.entries, push.rejected, push.errors.first)
        } success: { accepted, rejected, firstError in
            guard rejected > 0 else { return Response(status: .noContent) }
            // As Loki does: the valid entries are stored, the answer says what was dropped.
            let e = APIError(.invalidRecords, "\(rejected) entries rejected, \(accepted) stored; first: \(firstError ?? "")")
            return Self.json(e.json, status: .badRequest)
        }
    }

    func otlpLogs(_ request: Request) async -> Response {
        let isJSON = (request.headers[.contentType]?.lowercased() ?? "").hasPrefix("application/json")
        var logs = OTLPLogs()
        return await ingestRecords(request, .otlp) { (p: UnsafeRawBufferPointer, d: ParseDefaults) throws(ReceiverError) in
            logs = isJSON ? try OTLPLogs.decodeJSON(p, defaults: d) : try OTLPLogs.decodeProtobuf(p, defaults: d)
            return (logs.entries, logs.rejected, logs.firstError)
        } success: { _, _, _ in
            isJSON ? Self.json(logs.jsonResponse)
                : Response(status: .ok, headers: [.contentType: "application/x-protobuf"], body: .init(byteBuffer: ByteBuffer(bytes: logs.protobufResponse)))
        }
    }

    /// The shared path of the compatibility receivers: decode the body, parse it into entries,
    /// store them, count them; errors become `APIError` JSON with their status.
    func ingestRecords(_ request: Request, _ proto: IngestProtocol,
                       parse: (UnsafeRawBufferPointer, ParseDefaults) throws(ReceiverError) -> ([LogEntry], Int, String?),
                       success: (Int, Int, String?) -> Response) async -> Response {
        guard ingestSlots.acquire() else {
            return Self.errorResponse(APIError(.overloaded, "too many ingest requests in progress; retry later"))
        }
        defer { ingestSlots.release() }
        do throws(APIError) {
            let (body, wire, hold) = try await decodedBody(request)
            defer { withExtendedLifetime(hold) {} }
            let defaults = ParseDefaults(receivedAtNanos: wallClockNanos())
            let parsed: ([LogEntry], Int, String?)
            do throws(ReceiverError) {
                parsed = try withBytes(body) { (p: UnsafeRawBufferPointer) throws(ReceiverError) in try parse(p, defaults) }
            } catch {
                recordIngest(proto, accepted: 0, rejected: 1, bytes: wire)
                throw APIError(.badRequest, error.reason)
            }
            do throws(APIError) { try await store(parsed.0) } catch {
                recordIngest(proto, accepted: 0, rejected: parsed.0.count + parsed.1, bytes: wire)
                throw error
            }
            recordIngest(proto, accepted: parsed.0.count, rejected: parsed.1, bytes: wire)
            return success(parsed.0.count, parsed.1, parsed.2)
        } catch {
            return Self.errorResponse(error)
        }
    }
}

import StrataIO
import StrataCodec
import StrataFormat
import StrataParse

extension HTTPInput {
    /// `POST /api/logs`: decodes, parses and hands the body's entries to the sink, then builds
    /// the server's answer. Runs on the connection's thread and blocks in `sink.accept` while
    /// the agent applies back-pressure.
    func ingest(_ wire: [UInt8], contentEncoding: String?) -> HTTPAnswer {
        let body: [UInt8]
        switch decoded(wire, contentEncoding: contentEncoding) {
        case .success(let b): body = b
        case .failure(let e): return e.answer ?? .error(.badRequest, "cannot decode the body")
        }
        let defaults = config.defaults.parseDefaults(receivedAtNanos: wallClockNanos())
        let maxRecord = config.maxRecordBytes
        var parsed: BatchBody
        do throws(BatchBody.Failure) {
            parsed = try withBytes(body) { (p: UnsafeRawBufferPointer) throws(BatchBody.Failure) in
                try BatchBody.parse(p, defaults: defaults, maxRecordBytes: maxRecord)
            }
        } catch {
            switch error {
            case .recordTooLarge: return .error(.lineTooLarge, error.description + "; nothing of this request was stored")
            case .malformedArray: return .error(.badRequest, error.description + "; nothing of this request was stored")
            }
        }
        if !config.defaults.fields.isEmpty {
            for i in parsed.entries.indices { config.defaults.addFields(to: &parsed.entries[i]) }
        }
        if !parsed.entries.isEmpty {
            guard sink.accept(parsed.entries) else {
                var a = HTTPAnswer.error(.storageUnavailable, "the agent is stopping; nothing of this request was kept", close: true)
                a.headers.append(("Retry-After", "5"))
                return a
            }
        }
        lock.withLock {
            counters.acceptedEntries += parsed.entries.count
            counters.rejectedRecords += parsed.rejected
        }
        var out = Array("{\"accepted\":\(parsed.entries.count),\"rejected\":\(parsed.rejected),\"errors\":[".utf8)
        for (i, e) in parsed.errors.enumerated() {
            if i > 0 { out.append(0x2C) }
            out.append(contentsOf: "{\"index\":\(e.index),\"reason\":".utf8)
            LogEntryJSON.appendString(e.reason, to: &out)
            out.append(0x7D)
        }
        out.append(contentsOf: "]}\n".utf8)
        // Nothing kept: 400, with the same body (every rejected record and its reason).
        return .json(out, status: parsed.entries.isEmpty && parsed.rejected > 0 ? 400 : 200)
    }

    /// The body decompressed per `Content-Encoding` (gzip, x-gzip, deflate, zstd; identity or
    /// none as is), within `maxBodyBytes` decompressed.
    func decoded(_ wire: [UInt8], contentEncoding: String?) -> Result<[UInt8], HTTPAnswerError> {
        guard let enc = contentEncoding?.lowercased(), enc != "identity" else { return .success(wire) }
        guard let e = StreamDecompression.Encoding(rawValue: enc == "x-gzip" ? "gzip" : enc) else {
            return .failure(HTTPAnswerError(.error(.unsupportedMediaType, "Content-Encoding '\(enc)' is not supported (gzip, deflate, zstd)")))
        }
        let limit = config.maxBodyBytes
        do throws(StreamDecompression.Failure) {
            return .success(try withBytes(wire) { (p: UnsafeRawBufferPointer) throws(StreamDecompression.Failure) in
                try StreamDecompression.decompress(p, encoding: e, limit: limit)
            })
        } catch {
            switch error {
            case .tooLarge: return .failure(HTTPAnswerError(.error(.bodyTooLarge, "decompressed body exceeds \(limit) bytes")))
            case .invalid: return .failure(HTTPAnswerError(.error(.badEncoding, error.description)))
            }
        }
    }
}

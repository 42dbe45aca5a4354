import StrataCodec
import StrataFormat
import StrataParse

/// The Fluentd forward protocol (v1) over a TCP stream: a sequence of MessagePack arrays, each
/// `[tag, …]` in one of four modes —
/// Message `[tag, time, record(, option)]`, Forward `[tag, [[time, record]…](, option)]`,
/// PackedForward `[tag, bin-of-concatenated-[time, record](, option)]` and
/// CompressedPackedForward (the same, gzip-compressed, with `option.compressed = "gzip"`).
/// `time` is an integer of seconds or an EventTime (ext type 0: big-endian seconds and
/// nanoseconds). An option `chunk` asks for an acknowledgement `{"ack": chunk}` once stored.
///
/// Records map to entries: `message`, `log` or `msg` is the message; `EntryAssembler`'s names
/// give service, host, level and source (`time`/`timestamp` keys are kept as fields); other keys
/// become fields (nested maps flattened to dotted keys, arrays as JSON); the tag becomes the
/// field `fluent.tag` and the service when the record names none.
///
/// Invariant: the decoder buffers at most `maxEventBytes` of an incomplete value; a value that
/// is not a forward message is a protocol error and the connection should be closed.
public struct ForwardDecoder: Sendable {
    public struct Batch: Sendable {
        public var entries: [LogEntry] = []
        public var rejected = 0
        /// The `chunk` option to acknowledge once the entries are stored.
        public var chunk: String?
    }

    public let maxEventBytes: Int
    private var buffer: [UInt8] = []

    public init(maxEventBytes: Int = 64 << 20) { self.maxEventBytes = maxEventBytes }

    /// Adds bytes from the connection; returns the complete messages among them.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, defaults: ParseDefaults) throws(ReceiverError) -> [Batch] {
        buffer.append(contentsOf: bytes)
        var batches = [Batch]()
        var consumed = 0
        let limit = maxEventBytes
        let result: Result<Void, ReceiverError> = buffer.withUnsafeBytes { b in
            while consumed < b.count {
                var pos = consumed
                let value: MessagePack
                do throws(MessagePack.Failure) { value = try MessagePack.decode(b, at: &pos) } catch {
                    switch error {
                    case .needMore:
                        if b.count - consumed > limit { return .failure(ReceiverError("forward: a message larger than \(limit) bytes")) }
                        return .success(())
                    case .invalid(let what, let at): return .failure(ReceiverError("forward: invalid MessagePack at byte \(at): \(what)"))
                    }
                }
                consumed = pos
                do throws(ReceiverError) { batches.append(try Self.message(value, defaults: defaults)) } catch { return .failure(error) }
            }
            return .success(())
        }
        buffer.removeFirst(consumed)
        try result.get()
        return batches
    }

    static func message(_ v: MessagePack, defaults: ParseDefaults) throws(ReceiverError) -> Batch {
        guard case .array(let a) = v, a.count >= 2, let tag = a[0].string else {
            throw ReceiverError("forward: expected [tag, …], got \(v)")
        }
        var batch = Batch()
        var option: MessagePack? = nil
        func add(_ time: MessagePack, _ record: MessagePack) {
            let e = entry(tag: tag, time: time, record: record, defaults: defaults)
            if e.validationError == nil { batch.entries.append(e) } else { batch.rejected += 1 }
        }
        switch a[1] {
        case .array(let events):
            // Forward mode.
            for ev in events {
                guard case .array(let pair) = ev, pair.count >= 2 else { batch.rejected += 1; continue }
                add(pair[0], pair[1])
            }
            option = a.count > 2 ? a[2] : nil
        case .binary, .string:
            // (Compressed)PackedForward.
            option = a.count > 2 ? a[2] : nil
            var packed = a[1].bytes ?? []
            if option?["compressed"]?.string == "gzip" {
                do throws(StreamDecompression.Failure) {
                    packed = try withBytes(packed) { (p: UnsafeRawBufferPointer) throws(StreamDecompression.Failure) in
                        try StreamDecompression.decompress(p, encoding: .gzip, limit: 256 << 20)
                    }
                } catch {
                    throw ReceiverError("forward: CompressedPackedForward entries: \(error)")
                }
            }
            let r: Result<Void, ReceiverError> = packed.withUnsafeBytes { p in
                var pos = 0
                while pos < p.count {
                    do throws(MessagePack.Failure) {
                        let ev = try MessagePack.decode(p, at: &pos)
                        guard case .array(let pair) = ev, pair.count >= 2 else { batch.rejected += 1; continue }
                        add(pair[0], pair[1])
                    } catch {
                        return .failure(ReceiverError("forward: packed entries are not MessagePack [time, record] pairs"))
                    }
                }
                return .success(())
            }
            try r.get()
        default:
            // Message mode.
            guard a.count >= 3 else { throw ReceiverError("forward: Message mode needs [tag, time, record]") }
            add(a[1], a[2])
            option = a.count > 3 ? a[3] : nil
        }
        batch.chunk = option?["chunk"]?.string
        return batch
    }

    static func entry(tag: String, time: MessagePack, record: MessagePack, defaults: ParseDefaults) -> LogEntry {
        var a = EntryAssembler()
        switch time {
        case .ext(type: 0, let d) where d.count == 8:
            let s = d[0..<4].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            let ns = d[4..<8].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            a.timestamp = s * 1_000_000_000 + ns
        case .float(let f): a.timestamp = Timestamp.fromEpoch(f)
        default: if let s = time.int64, s >= 0, s < 10_000_000_000 { a.timestamp = s * 1_000_000_000 }
        }
        var messageSet = false
        if case .map(let kv) = record {
            for (k, v) in kv {
                guard let key = k.string else { continue }
                if !messageSet, key == "message" || key == "log" || key == "msg", let s = v.string {
                    a.message = s.hasSuffix("\n") ? String(s.dropLast()) : s
                    messageSet = true
                    continue
                }
                flatten(key, v, into: &a)
            }
        }
        if a.service == nil { a.service = tag }
        a.addField("fluent.tag", .string(tag))
        return a.build(defaults: defaults)
    }

    static func flatten(_ key: String, _ v: MessagePack, into a: inout EntryAssembler, depth: Int = 0) {
        switch v {
        case .map(let kv) where depth < 8:
            for (k, sub) in kv { if let s = k.string { flatten(key + "." + s, sub, into: &a, depth: depth + 1) } }
        case .string(let s): a.attribute(key, .string(s))
        case .int(let i): a.addField(key, .int(i))
        case .uint(let u): a.addField(key, u <= UInt64(Int64.max) ? .int(Int64(u)) : .float(Double(u)))
        case .float(let f): a.addField(key, .float(f))
        case .bool(let b): a.addField(key, .bool(b))
        case .null: break
        case .binary(let b): a.addField(key, .string(Hex.encode(b)))
        default: a.addField(key, .json(json(v)))
        }
    }

    static func json(_ v: MessagePack) -> String {
        func conv(_ v: MessagePack) -> JSONValue {
            switch v {
            case .null: .null
            case .bool(let b): .bool(b)
            case .int(let i): .number(String(i))
            case .uint(let u): .number(String(u))
            case .float(let f): f.isFinite ? .number(String(f)) : .string(String(f))
            case .string(let s): .string(s)
            case .binary(let b): .string(Hex.encode(b))
            case .array(let a): .array(a.map(conv))
            case .map(let kv): .object(kv.map { ($0.0.string ?? "\($0.0)", conv($0.1)) })
            case .ext(let t, let d): .object([("ext", .number(String(t))), ("data", .string(Hex.encode(d)))])
            }
        }
        return conv(v).text
    }

    /// The acknowledgement of `chunk`: `{"ack": chunk}` in MessagePack.
    public static func ack(_ chunk: String) -> [UInt8] { MessagePack.encodeStringMap([("ack", chunk)]) }
}

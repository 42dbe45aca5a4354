import StrataFormat
import StrataParse

/// The Elasticsearch `_bulk` body: NDJSON pairs of an action line (`{"index":{…}}`,
/// `{"create":{…}}`, `{"update":{…}}` or `{"delete":{…}}`) and, except for `delete`, a
/// source line. `index` and `create` documents become entries (`JSONLineParser` rules, then
/// ECS names such as `host.name`/`service.name`/`log.level` promoted to columns; the index name
/// becomes `source` when the document has none). `update` and `delete` cannot apply to an
/// append-only store: their items fail with status 400, the rest of the batch is stored.
///
/// Invariant: `items` has exactly one element per action line, in order, as the bulk response
/// must. A line that is not an action where one is expected refuses the whole body (the
/// pairing of the following lines would be unknowable), as Elasticsearch does.
public enum ElasticBulk {
    public struct Item: Sendable {
        public var action: String
        public var index: String
        public var id: String?
        /// The document, for a successful `index`/`create`.
        public var entry: LogEntry?
        /// Why the item failed (HTTP-like status, Elasticsearch error type, reason).
        public var failure: (status: Int, type: String, reason: String)?
    }

    public static func parse(_ body: UnsafeRawBufferPointer, defaultIndex: String?, defaults: ParseDefaults) throws(ReceiverError) -> [Item] {
        var lines = [Range<Int>]()
        var lineNumbers = [Int]()
        var n = 0
        LineParser.forEachLine(in: body) { l in
            n += 1
            var s = 0, e = l.count
            while s < e, l[s] == 0x20 || l[s] == 0x09 || l[s] == 0x0D { s += 1 }
            while e > s, l[e - 1] == 0x20 || l[e - 1] == 0x09 || l[e - 1] == 0x0D { e -= 1 }
            guard s < e else { return }
            let base = body.baseAddress!.distance(to: l.baseAddress!)
            lines.append((base + s)..<(base + e))
            lineNumbers.append(n)
        }
        var items = [Item]()
        var i = 0
        while i < lines.count {
            let action = try actionLine(UnsafeRawBufferPointer(rebasing: body[lines[i]]), line: lineNumbers[i])
            let index = action.index ?? defaultIndex ?? ""
            var item = Item(action: action.kind, index: index, id: action.id)
            i += 1
            if action.kind == "delete" {
                item.failure = (400, "illegal_argument_exception", "delete is not supported: Strata is append-only")
                items.append(item)
                continue
            }
            guard i < lines.count else {
                throw ReceiverError("the \(action.kind) action on line \(lineNumbers[i - 1]) has no source line")
            }
            let source = UnsafeRawBufferPointer(rebasing: body[lines[i]])
            i += 1
            if action.kind == "update" {
                item.failure = (400, "illegal_argument_exception", "update is not supported: Strata is append-only")
            } else if index.isEmpty {
                item.failure = (400, "action_request_validation_exception", "no index given (in the action or the URL)")
            } else {
                do throws(ParseError) {
                    var e = try JSONLineParser().parse(source, defaults: defaults)
                    EntryAssembler.promoteWellKnownFields(&e)
                    if e.source.isEmpty { e.source = index }
                    if let reason = e.validationError {
                        item.failure = (400, "document_parsing_exception", reason)
                    } else {
                        item.entry = e
                    }
                } catch {
                    item.failure = (400, "document_parsing_exception", "line \(lineNumbers[i - 1]): \(error)")
                }
            }
            items.append(item)
        }
        return items
    }

    static func actionLine(_ l: UnsafeRawBufferPointer, line: Int) throws(ReceiverError) -> (kind: String, index: String?, id: String?) {
        let v: JSONValue
        do throws(ParseError) { v = try JSONValue.parse(l) } catch {
            throw ReceiverError("malformed action/metadata line [\(line)]: \(error)")
        }
        guard let m = v.members, m.count == 1, ["index", "create", "update", "delete"].contains(m[0].0) else {
            throw ReceiverError("malformed action/metadata line [\(line)], expected one of index, create, update, delete")
        }
        let meta = m[0].1
        guard meta.members != nil else { throw ReceiverError("malformed action/metadata line [\(line)]: the action's value must be an object") }
        return (m[0].0, meta["_index"]?.string, meta["_id"]?.string ?? meta["_id"].flatMap { if case .number(let t) = $0 { t } else { nil } })
    }
}

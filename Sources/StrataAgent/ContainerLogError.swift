/// Why a container log line, a container's config file or a pod log path could not be decoded.
///
/// Every case that concerns bytes carries the byte `offset` of the fault within the input the
/// decoder was given (a line, a file), so the tailer can report
/// `…/4f3c…-json.log @0x1a2b40: @17: stream is neither "stdout" nor "stderr"` by adding the
/// file name and the line's own offset. Bad input always throws one of these; decoders never
/// trap on input.
public enum ContainerLogError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON text is not well formed; `reason` is StrataParse's scanner message.
    case malformedJSON(reason: String, offset: Int)
    /// The line or document is not a JSON object (it starts with something other than `{`).
    case notAnObject(offset: Int)
    /// A required field is absent; `offset` is where the enclosing object or line ended.
    case missingField(String, offset: Int)
    /// A field appears twice in one object, so which value counts is ambiguous.
    case duplicateField(String, offset: Int)
    /// A field holds the wrong JSON type (or, for config files, an out-of-range value);
    /// `offset` is nil where the decoder works on a parsed tree without positions.
    case invalidField(String, expected: String, offset: Int?)
    /// The stream name is neither `stdout` nor `stderr`.
    case unknownStream(offset: Int)
    /// The timestamp is not RFC 3339 (`YYYY-MM-DDThh:mm:ss[.f{1,9}](Z|±hh:mm)`) or does not fit
    /// in 64-bit nanoseconds.
    case badTimestamp(offset: Int)
    /// A CRI line's first tag is neither `P` (partial) nor `F` (full).
    case unknownTag(offset: Int)
    /// Bytes other than whitespace follow the JSON object.
    case trailingBytes(offset: Int)
    /// The input is larger than the decoder accepts.
    case tooLarge(sizeInBytes: Int, limitInBytes: Int)
    /// A path does not have the kubelet layout `…/<namespace>_<pod>_<uid>/<container>/<N>.log`.
    case notAPodLogPath(reason: String)

    /// A one-line message that locates the fault, e.g. `@17: stream is neither "stdout" nor "stderr"`.
    public var description: String {
        switch self {
        case .malformedJSON(let reason, let offset): "@\(offset): malformed JSON: \(reason)"
        case .notAnObject(let offset): "@\(offset): not a JSON object"
        case .missingField(let field, let offset): "@\(offset): missing field \"\(field)\""
        case .duplicateField(let field, let offset): "@\(offset): field \"\(field)\" appears twice"
        case .invalidField(let field, let expected, let offset):
            (offset.map { "@\($0): " } ?? "") + "field \"\(field)\" must be \(expected)"
        case .unknownStream(let offset): "@\(offset): stream is neither \"stdout\" nor \"stderr\""
        case .badTimestamp(let offset): "@\(offset): timestamp is not RFC 3339 within the 64-bit nanosecond range"
        case .unknownTag(let offset): "@\(offset): CRI tag is neither \"P\" nor \"F\""
        case .trailingBytes(let offset): "@\(offset): bytes after the JSON object"
        case .tooLarge(let size, let limit): "\(size) bytes exceed the limit of \(limit)"
        case .notAPodLogPath(let reason): "not a pod log path: \(reason)"
        }
    }
}

import StrataAgent
import StrataFormat

/// Container log decoders on arbitrary bytes. The whole input is tried as a Docker json-file line,
/// a `config.v2.json`, a CRI line and a pod log path, and read as a sequence of records for the
/// partial-line joiner. Invariants: a decoded Docker line's text is valid UTF-8 and survives a
/// re-encode/decode round trip, and a refused line leaves the caller's buffer untouched; decoded
/// ranges and fields are within bounds; the joiner emits each stream's lines exactly as a simple
/// model joins them, never more than `maxLineBytes`, truncating only lines that exceed it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzContainerLogs(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    checkDockerLine(input)
    checkConfig(input)
    checkCRILine(input)
    checkPodPath(input)
    checkJoiner(input)
    return 0
}

private func checkDockerLine(_ input: UnsafeRawBufferPointer) {
    var log: [UInt8] = [0xAA]
    let line: DockerJSONLine
    do {
        line = try DockerJSONLine.decode(from: input, appendingLogTo: &log)
    } catch {
        precondition(log == [0xAA], "a refused line changed the buffer")
        return
    }
    precondition(line.logRange == 1..<log.count, "log range \(line.logRange) in a buffer of \(log.count)")
    let text = Array(log[line.logRange])
    precondition(Array(String(decoding: text, as: UTF8.self).utf8) == text, "log text is not valid UTF-8")
    // Re-encode as Docker would and decode again: the same line.
    var again = Array(#"{"log":"#.utf8)
    let raw = line.isPartial ? text : text + [0x0A]
    raw.withUnsafeBytes { LogEntryJSON.appendString(bytes: $0, to: &again) }
    again += Array(#","stream":"\#(line.stream)","time":""#.utf8)
    Timestamp.append(line.timestampNanos, to: &again)
    again += Array(#""}"#.utf8)
    var log2: [UInt8] = []
    let line2 = again.withUnsafeBytes { try? DockerJSONLine.decode(from: $0, appendingLogTo: &log2) }
    precondition(line2 != nil && log2 == text, "round trip changed the text")
    precondition(line2?.stream == line.stream && line2?.isPartial == line.isPartial, "round trip changed the header")
    precondition(line2?.timestampNanos == line.timestampNanos, "round trip changed the time")
}

private func checkConfig(_ input: UnsafeRawBufferPointer) {
    guard let config = try? DockerContainerConfig.decode(from: input) else { return }
    precondition(config.id.utf8.count == 64, "container ID is not 64 hex digits")
}

private func checkCRILine(_ input: UnsafeRawBufferPointer) {
    guard let line = try? CRILogLine.decode(from: input) else { return }
    precondition(line.contentRange.lowerBound >= 0 && line.contentRange.upperBound <= input.count, "content outside the line")
    precondition(line.contentRange.lowerBound >= 22 || line.contentRange.isEmpty, "content overlaps the header")
    _ = line.content(in: input)
}

private func checkPodPath(_ input: UnsafeRawBufferPointer) {
    let path = String(decoding: input, as: UTF8.self)
    guard let p = try? KubernetesLogPath.decode(from: path) else { return }
    precondition(!p.namespace.isEmpty && !p.namespace.contains("_") && !p.namespace.contains("/"), "namespace \(p.namespace)")
    precondition(!p.podName.isEmpty && !p.podName.contains("/"), "pod \(p.podName)")
    precondition(!p.podUID.isEmpty && !p.podUID.contains("_") && !p.podUID.contains("/"), "uid \(p.podUID)")
    precondition(!p.containerName.isEmpty && !p.containerName.contains("/"), "container \(p.containerName)")
    precondition(p.restartCount >= 0 && p.restartCount < 1_000_000_000, "restart count \(p.restartCount)")
}

/// Records from the input: a control byte (bit 0 stream, bit 1 partial, bits 2–7 length), then
/// that many bytes of text. A model per stream concatenates the chunks of the open line.
private func checkJoiner(_ input: UnsafeRawBufferPointer) {
    let limit = 48
    var joiner = PartialLineJoiner(maxLineBytes: limit)
    var model: [[UInt8]] = [[], []]
    var open = [false, false]
    var emitted: [[(bytes: [UInt8], meta: PartialLineJoiner.JoinedLine)]] = [[], []]
    let collect: (UnsafeRawBufferPointer, PartialLineJoiner.JoinedLine) -> Void = { line, meta in
        precondition(line.count <= limit, "a line over the limit")
        emitted[meta.stream == .stdout ? 0 : 1].append((Array(line), meta))
    }
    /// A whole line of `s` ended (final chunk, or finish): check what was emitted for it.
    func lineEnded(_ s: Int, complete: Bool) {
        let whole = model[s]
        let out = emitted[s]
        if whole.count <= limit {
            if complete || !whole.isEmpty || open[s] {
                precondition(out.count == 1 && out[0].bytes == whole, "line not emitted as joined")
                precondition(!out[0].meta.isTruncated && out[0].meta.isComplete == complete, "wrong flags")
            }
        } else {
            precondition(out.count == 1 && out[0].meta.isTruncated, "long line not truncated once")
            precondition(out[0].bytes.count >= limit - 3 && whole.starts(with: out[0].bytes), "truncated line is not a prefix")
        }
        model[s] = []
        open[s] = false
        emitted[s] = []
    }
    var i = 0
    while i < input.count {
        let control = input[i]
        i += 1
        let s = Int(control & 1)
        let partial = control & 2 != 0
        let n = min(Int(control >> 2), input.count - i)
        let chunk = UnsafeRawBufferPointer(rebasing: input[i..<i + n])
        i += n
        let otherBefore = emitted[1 - s].count
        joiner.push(chunk, stream: s == 0 ? .stdout : .stderr, isPartial: partial,
                    timestampNanos: Int64(i), offset: Int64(i), emit: collect)
        model[s] += chunk
        precondition(emitted[1 - s].count == otherBefore, "a push emitted a line of the other stream")
        if partial {
            open[s] = true
            precondition(emitted[s].count <= 1, "more than one line for one push")
            if model[s].count <= limit { precondition(emitted[s].isEmpty, "a partial line was emitted early") }
        } else {
            open[s] = true
            lineEnded(s, complete: true)
        }
    }
    joiner.finish(emit: collect)
    for s in 0..<2 where open[s] {
        if model[s].count <= limit {
            lineEnded(s, complete: false)
        } else {
            precondition(emitted[s].count == 1 && emitted[s][0].meta.isTruncated, "pending long line")
        }
    }
    precondition(joiner.oldestPendingOffset == nil, "finish left a line pending")
}

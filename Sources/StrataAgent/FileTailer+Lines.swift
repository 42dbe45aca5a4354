import StrataFormat
import StrataIO
import StrataParse

extension FileTailer {
    /// Splits a chunk read at `f.offset` into lines (in the file's encoding), carrying the
    /// unterminated rest in `f.partial`; a line longer than `max_line_bytes` is cut there (on a
    /// character boundary) and the rest of it skipped.
    func consume(_ f: TailedFile, _ chunk: UnsafeRawBufferPointer) {
        let chunkOffset = Int64(f.offset), textStart = Int64(f.textStart)
        var start = 0
        while start < chunk.count {
            guard let end = f.encoding.nextLineEnd(in: chunk, from: start, chunkOffset: chunkOffset, textStartOffset: textStart) else {
                if !f.droppingLongLine {
                    f.partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start...]))
                    if f.partial.count > config.maxLineBytes { cutLongLine(f) }
                }
                return
            }
            let lineEnd = f.offset + end
            if f.droppingLongLine {
                f.droppingLongLine = false
                updateSafeAfterLine(f, end: lineEnd)
            } else if f.partial.isEmpty {
                if end - start > config.maxLineBytes + 2 {
                    f.partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<end]))
                    cutLongLine(f)
                    f.droppingLongLine = false
                    updateSafeAfterLine(f, end: lineEnd)
                } else {
                    line(f, UnsafeRawBufferPointer(rebasing: chunk[start..<end]), end: lineEnd)
                }
            } else {
                f.partial.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[start..<end]))
                if f.partial.count > config.maxLineBytes + 2 {
                    cutLongLine(f)
                    f.droppingLongLine = false
                    updateSafeAfterLine(f, end: lineEnd)
                } else {
                    let whole = f.partial
                    f.partial.removeAll(keepingCapacity: true)
                    whole.withUnsafeBytes { line(f, $0, end: lineEnd) }
                }
            }
            f.lineStart = lineEnd
            start = end
            // Hand over full batches as they fill, not a whole read buffer at once.
            if outCount >= batcher.output.batchLines { shipMidChunk(f) }
        }
    }

    /// Sends the first `max_line_bytes` of the overlong line in `f.partial` and skips the rest
    /// of it (until its terminator).
    private func cutLongLine(_ f: TailedFile) {
        let head = f.partial
        f.partial.removeAll(keepingCapacity: true)
        f.droppingLongLine = true
        f.truncatedLines += 1
        head.withUnsafeBytes { p in
            let cut = f.encoding.lineCut(in: p, atMost: config.maxLineBytes, chunkOffset: Int64(f.lineStart), textStartOffset: Int64(f.textStart))
            process(f, UnsafeRawBufferPointer(rebasing: p[0..<max(cut, 1)]), lineStart: f.lineStart, end: nil)
        }
    }

    /// One complete raw line (terminator included) ending at raw offset `end`.
    func line(_ f: TailedFile, _ raw: UnsafeRawBufferPointer, end: Int) {
        process(f, raw, lineStart: f.lineStart, end: end)
    }

    /// Converts, decodes (container formats), joins (multiline) and encodes one line. `end` is
    /// nil for the head of a cut line (the position advances when its terminator is found).
    private func process(_ f: TailedFile, _ raw: UnsafeRawBufferPointer, lineStart: Int, end: Int?) {
        let now = wallClockNanos()
        if f.decoder.takesRawLines {
            var n = raw.count
            if n > 0 && raw[n - 1] == 0x0A { n -= 1 }
            f.decoder.decode(UnsafeRawBufferPointer(rebasing: raw[0..<n]), lineStart: lineStart, readTimeNanos: now) { message, ts, stream, messageStart in
                deliver(f, message, ts, stream, lineStart: messageStart)
            }
        } else {
            var text = f.converted
            f.converted = []
            text.removeAll(keepingCapacity: true)
            f.encoding.appendUTF8(ofLine: raw, to: &text)
            text.withUnsafeBytes { t in
                f.decoder.decode(t, lineStart: lineStart, readTimeNanos: now) { message, ts, stream, messageStart in
                    deliver(f, message, ts, stream, lineStart: messageStart)
                }
            }
            f.converted = text
        }
        f.decoderPendingStart = f.decoder.pendingStart
        if let end { updateSafeAfterLine(f, end: end) }
    }

    /// A whole message: straight to the encoder, or through the multiline joiner.
    private func deliver(_ f: TailedFile, _ message: UnsafeRawBufferPointer, _ ts: Int64, _ stream: String?, lineStart: Int) {
        guard f.joiner != nil else {
            encode(f, message, ts, stream)
            return
        }
        if !f.joiner!.hasPendingEvent {
            f.eventTimestamp = ts
            f.eventStream = stream
        }
        var emitted = false
        let (prevTs, prevStream) = (f.eventTimestamp, f.eventStream)
        f.joiner!.push(message, nowNanos: wallClockNanos()) { event in
            emitted = true
            event.withUnsafeBytes { encode(f, $0, prevTs, prevStream) }
        }
        if !f.joiner!.hasPendingEvent {
            f.pendingStart = nil
        } else if emitted || f.pendingStart == nil {
            f.pendingStart = lineStart
            f.eventTimestamp = ts
            f.eventStream = stream
        }
    }

    /// Appends one entry for `f` to the output being built.
    func encode(_ f: TailedFile, _ message: UnsafeRawBufferPointer, _ ts: Int64, _ stream: String?) {
        f.encoder.append(line: message, timestampNanos: ts, stream: stream, to: &out)
        outCount += 1
    }

    /// After a line ending at `end`: the safe offset moves to it unless a multiline event or a
    /// partial container line started earlier is still open.
    func updateSafeAfterLine(_ f: TailedFile, end: Int) {
        f.lastLineEnd = end
        let holds = [f.pendingStart, f.decoderPendingStart].compactMap { $0 }
        f.safeOffset = holds.min() ?? end
    }
}

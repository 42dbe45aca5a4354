import StrataAgent

/// The raw line splitter and the UTF-8 converter on arbitrary bytes in every encoding. Byte 0
/// picks the encoding (bits 0–1), the text start offset (bits 2–3) and the chunk's file offset
/// (bits 4–6); byte 1 a split point and a cut limit; the rest is the chunk. Invariants: line ends
/// strictly increase, lie within the chunk, each follows a newline code unit on a code-unit
/// boundary, and match a naive scan; splitting the chunk in two (carrying the incomplete tail, as
/// the tailer does) finds the same ends; every converted line is valid UTF-8 at most 3× its raw
/// size and, for UTF-8 and UTF-16, equals the standard library's decoding; forced cuts stay in
/// bounds and on code-unit boundaries.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTextEncoding(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let encoding = TextEncoding.allCases[Int(data[0] & 3)]
    let textStart = Int64(data[0] >> 2 & 3)
    let chunkOffset = Int64(data[0] >> 4 & 7)
    let chunk = UnsafeRawBufferPointer(start: data + 2, count: size - 2)
    let wide = encoding.codeUnitSizeInBytes == 2

    // Line ends against a naive scan.
    var ends: [Int] = []
    encoding.forEachLineEnd(in: chunk, chunkOffset: chunkOffset, textStartOffset: textStart) { ends.append($0) }
    var naive: [Int] = []
    if wide {
        var u = Int((chunkOffset - textStart) & 1)
        while u + 1 < chunk.count {
            let (a, b) = (chunk[u], chunk[u + 1])
            if encoding == .utf16LE ? (a == 0x0A && b == 0) : (a == 0 && b == 0x0A) { naive.append(u + 2) }
            u += 2
        }
    } else {
        for (k, b) in chunk.enumerated() where b == 0x0A { naive.append(k + 1) }
    }
    precondition(ends == naive, "line ends \(ends) differ from a naive scan \(naive)")
    var previous = 0
    for e in ends {
        precondition(e > previous && e <= chunk.count, "line end \(e) out of order or bounds")
        if wide { precondition((chunkOffset + Int64(e) - textStart) & 1 == 0, "line end off a code-unit boundary") }
        previous = e
    }

    // The same ends when the chunk arrives in two reads.
    let split = chunk.isEmpty ? 0 : Int(data[1]) % (chunk.count + 1)
    var twoReads: [Int] = []
    var consumed = 0
    for readEnd in [split, chunk.count] {
        let pending = UnsafeRawBufferPointer(rebasing: chunk[consumed..<readEnd])
        var start = 0
        while let e = encoding.nextLineEnd(in: pending, from: start, chunkOffset: chunkOffset + Int64(consumed), textStartOffset: textStart) {
            twoReads.append(consumed + e)
            start = e
        }
        consumed += start
    }
    precondition(twoReads == ends, "reading in two parts found \(twoReads), not \(ends)")

    // Each line (and the unterminated rest) converts to valid UTF-8.
    var lineStart = 0
    var out: [UInt8] = []
    for e in ends + [chunk.count] where e >= lineStart {
        let raw = UnsafeRawBufferPointer(rebasing: chunk[lineStart..<e])
        out.removeAll(keepingCapacity: true)
        encoding.appendUTF8(ofLine: raw, to: &out)
        precondition(Array(String(decoding: out, as: UTF8.self).utf8) == out, "conversion is not valid UTF-8")
        precondition(out.count <= 3 * raw.count, "conversion grew more than 3×")
        checkAgainstStandardLibrary(raw, encoding, out)
        lineStart = e
    }

    // Forced cuts.
    let limit = Int(data[1] >> 2)
    let cut = encoding.lineCut(in: chunk, atMost: limit, chunkOffset: chunkOffset, textStartOffset: textStart)
    precondition(cut >= 0 && cut <= min(limit, chunk.count), "cut \(cut) out of bounds")
    if wide && cut > 0 { precondition((chunkOffset + Int64(cut) - textStart) & 1 == 0, "cut off a code-unit boundary") }
    if min(limit, chunk.count) >= 4 { precondition(cut > 0, "no progress") }

    if case .found(_, let length) = TextEncoding.detectBOM(atFileStart: chunk) {
        precondition(length <= chunk.count, "BOM longer than the bytes")
    }
    return 0
}

/// The converter agrees with `String(decoding:)` (UTF-8 and UTF-16) after the terminator strip.
private func checkAgainstStandardLibrary(_ raw: UnsafeRawBufferPointer, _ encoding: TextEncoding, _ out: [UInt8]) {
    switch encoding {
    case .utf8:
        var n = raw.count
        if n > 0 && raw[n - 1] == 0x0A { n -= 1 }
        if n > 0 && raw[n - 1] == 0x0D { n -= 1 }
        let expected = Array(String(decoding: UnsafeRawBufferPointer(rebasing: raw[0..<n]), as: UTF8.self).utf8)
        precondition(out == expected, "UTF-8 repair differs from the standard library")
    case .utf16LE, .utf16BE:
        guard raw.count % 2 == 0 else { return }
        var units = stride(from: 0, to: raw.count, by: 2).map { k -> UInt16 in
            encoding == .utf16LE ? UInt16(raw[k + 1]) << 8 | UInt16(raw[k]) : UInt16(raw[k]) << 8 | UInt16(raw[k + 1])
        }
        if units.last == 0x0A { units.removeLast() }
        if units.last == 0x0D { units.removeLast() }
        precondition(out == Array(String(decoding: units, as: UTF16.self).utf8), "UTF-16 conversion differs from the standard library")
    case .latin1:
        break
    }
}

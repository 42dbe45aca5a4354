import Testing
import StrataAgent

/// `text` as UTF-16 bytes in the given byte order, optionally preceded by a BOM.
private func utf16(_ text: String, bigEndian: Bool, bom: Bool) -> [UInt8] {
    var out: [UInt8] = []
    for unit in (bom ? "\u{FEFF}" + text : text).utf16 {
        let hi = UInt8(unit >> 8), lo = UInt8(unit & 0xFF)
        out += bigEndian ? [hi, lo] : [lo, hi]
    }
    return out
}

/// Converts one raw line with `encoding`.
private func convert(_ raw: [UInt8], _ encoding: TextEncoding) -> (bytes: [UInt8], replaced: Int) {
    var out: [UInt8] = []
    let replaced = raw.withUnsafeBytes { encoding.appendUTF8(ofLine: $0, to: &out) }
    return (out, replaced)
}

/// Line ends (relative to `chunk`) found by `nextLineEnd`.
private func ends(_ chunk: [UInt8], _ encoding: TextEncoding, chunkOffset: Int64, textStart: Int64) -> [Int] {
    var out: [Int] = []
    chunk.withUnsafeBytes { encoding.forEachLineEnd(in: $0, chunkOffset: chunkOffset, textStartOffset: textStart) { out.append($0) } }
    return out
}

/// The obvious splitter: walk every code unit. The oracle for `nextLineEnd`.
private func naiveEnds(_ chunk: [UInt8], _ encoding: TextEncoding, chunkOffset: Int64, textStart: Int64) -> [Int] {
    var out: [Int] = []
    switch encoding {
    case .utf8, .latin1:
        for (i, b) in chunk.enumerated() where b == 0x0A { out.append(i + 1) }
    case .utf16LE, .utf16BE:
        var i = 0
        while (chunkOffset + Int64(i) - textStart) & 1 != 0 { i += 1 }
        while i + 1 < chunk.count {
            let (a, b) = (chunk[i], chunk[i + 1])
            if encoding == .utf16LE ? (a == 0x0A && b == 0) : (a == 0 && b == 0x0A) { out.append(i + 2) }
            i += 2
        }
    }
    return out
}

/// Reads `file` the way the tailer does: chunks of the given sizes, the encoding resolved from
/// the first bytes (waiting while a BOM may still be incomplete), the incomplete tail carried
/// over. Returns each line's absolute end offset and its UTF-8 text; the final unterminated line
/// is converted at end of file.
private func tail(_ file: [UInt8], configured: TextEncoding, chunkSizes: [Int]) -> (ends: [Int64], lines: [String]) {
    var ends: [Int64] = []
    var lines: [String] = []
    var resolved: (encoding: TextEncoding, textStartOffset: Int64)?
    var pending: [UInt8] = []
    var pendingOffset: Int64 = 0
    var position = 0
    var k = 0
    while position < file.count {
        let size = chunkSizes[k % chunkSizes.count]
        k += 1
        let next = min(position + size, file.count)
        pending += file[position..<next]
        position = next
        if resolved == nil {
            let atEnd = position == file.count
            guard let r = pending.withUnsafeBytes({ TextEncoding.resolve(configured: configured, fileStart: $0, atEndOfFile: atEnd) }) else { continue }
            resolved = r
            pending.removeFirst(Int(r.textStartOffset))
            pendingOffset = r.textStartOffset
        }
        guard let (encoding, textStart) = resolved else { continue }
        var consumed = 0
        pending.withUnsafeBytes { chunk in
            while let end = encoding.nextLineEnd(in: chunk, from: consumed, chunkOffset: pendingOffset, textStartOffset: textStart) {
                var out: [UInt8] = []
                encoding.appendUTF8(ofLine: UnsafeRawBufferPointer(rebasing: chunk[consumed..<end]), to: &out)
                lines.append(text(out))
                ends.append(pendingOffset + Int64(end))
                consumed = end
            }
        }
        pending.removeFirst(consumed)
        pendingOffset += Int64(consumed)
    }
    if let (encoding, _) = resolved, !pending.isEmpty { lines.append(text(convert(pending, encoding).bytes)) }
    return (ends, lines)
}

@Suite struct TextEncodingTests {
    static let bomCases: [([UInt8], TextEncoding.BOMDetection)] = [
        ([], .needMoreBytes),
        ([0xEF], .needMoreBytes),
        ([0xEF, 0xBB], .needMoreBytes),
        ([0xEF, 0xBB, 0xBF, 0x41], .found(.utf8, lengthInBytes: 3)),
        ([0xEF, 0xBB, 0x41], .none),
        ([0xEF, 0x41], .none),
        ([0xFF], .needMoreBytes),
        ([0xFF, 0xFE, 0x41, 0x00], .found(.utf16LE, lengthInBytes: 2)),
        ([0xFE], .needMoreBytes),
        ([0xFE, 0xFF, 0x00, 0x41], .found(.utf16BE, lengthInBytes: 2)),
        ([0xFE, 0xFE], .none),
        ([0x41, 0x42, 0x43], .none),
        ([0x00, 0x41], .none),
    ]

    @Test(arguments: bomCases)
    func byteOrderMarksAreDetected(prefix: [UInt8], expected: TextEncoding.BOMDetection) {
        #expect(prefix.withUnsafeBytes { TextEncoding.detectBOM(atFileStart: $0) } == expected)
    }

    @Test func aByteOrderMarkOverridesTheConfiguredEncoding() {
        let le: [UInt8] = [0xFF, 0xFE, 0x41, 0x00]
        #expect(le.withUnsafeBytes { TextEncoding.resolve(configured: .latin1, fileStart: $0, atEndOfFile: false) }! == (.utf16LE, 2))
        #expect([UInt8](utf8: "plain").withUnsafeBytes { TextEncoding.resolve(configured: .utf16BE, fileStart: $0, atEndOfFile: false) }! == (.utf16BE, 0))
        #expect([UInt8]([0xEF]).withUnsafeBytes { TextEncoding.resolve(configured: .latin1, fileStart: $0, atEndOfFile: false) } == nil)
        #expect([UInt8]([0xEF]).withUnsafeBytes { TextEncoding.resolve(configured: .latin1, fileStart: $0, atEndOfFile: true) }! == (.latin1, 0))
    }

    @Test func configurationNamesAreRecognised() {
        #expect(TextEncoding(configName: "UTF-16LE") == .utf16LE)
        #expect(TextEncoding(configName: "utf16be") == .utf16BE)
        #expect(TextEncoding(configName: "latin1") == .latin1)
        #expect(TextEncoding(configName: "ISO-8859-1") == .latin1)
        #expect(TextEncoding(configName: "utf8") == .utf8)
        #expect(TextEncoding(configName: "ucs-2") == nil)
    }

    @Test func utf8LinesEndAfterEachNewline() {
        let file = [UInt8](utf8: "one\r\ntwo\n\nthree")
        #expect(ends(file, .utf8, chunkOffset: 0, textStart: 0) == [5, 9, 10])
        #expect(convert(Array(file[0..<5]), .utf8).bytes == [UInt8](utf8: "one"))
        #expect(convert(Array(file[9..<10]), .utf8).bytes == [])
    }

    /// The same UTF-16 file, LE and BE with a BOM, read in odd-sized chunks (the BOM itself
    /// arrives split), gives the same lines and the raw end offsets of the file.
    @Test(arguments: [false, true])
    func utf16WithBOMSplitAcrossOddChunks(bigEndian: Bool) {
        // U+0A2E U+3000 puts bytes "0A 00" (LE) or "00 0A" (BE) across two code units: no newline there.
        let content = "héllo\r\n😀 wörld\n\u{0A2E}\u{3000}trap\n\nlast"
        let file = utf16(content, bigEndian: bigEndian, bom: true)
        let expectedEnds: [Int64] = [2 + 14, 2 + 14 + 18, 2 + 14 + 18 + 14, 2 + 14 + 18 + 14 + 2]
        for sizes in [[1], [3], [5, 7], [2, 3, 1], [file.count]] {
            let read = tail(file, configured: .utf8, chunkSizes: sizes)
            #expect(read.ends == expectedEnds, "chunks \(sizes)")
            #expect(read.lines == ["héllo", "😀 wörld", "\u{0A2E}\u{3000}trap", "", "last"], "chunks \(sizes)")
        }
    }

    @Test func configuredUTF16WithoutBOMStartsAtOffsetZero() {
        let file = utf16("a\nb\n", bigEndian: false, bom: false)
        let read = tail(file, configured: .utf16LE, chunkSizes: [3])
        #expect(read.ends == [4, 8])
        #expect(read.lines == ["a", "b"])
    }

    /// A chunk may start anywhere, even mid code unit: the ends found are exactly the file's
    /// line ends whose newline lies wholly inside the chunk.
    @Test(arguments: [TextEncoding.utf16LE, .utf16BE])
    func utf16LineEndsFromAnyWindowStart(encoding: TextEncoding) {
        let file = utf16("ab\n\u{0A2E}\u{3000}\n\u{0A00}\u{000A}x\n", bigEndian: encoding == .utf16BE, bom: true)
        let all = ends(file, encoding, chunkOffset: 0, textStart: 2)
        #expect(all == [8, 14, 18, 22])   // U+0A00 U+000A: the second unit is a real newline
        for start in 0..<file.count {
            let window = Array(file[start...])
            let found = ends(window, encoding, chunkOffset: Int64(start), textStart: 2).map { $0 + start }
            #expect(found == all.filter { $0 - 2 >= start }, "window at \(start)")
        }
    }

    @Test func splitterMatchesANaiveScanOnRandomBytes() {
        var rng = SplitMix(seed: 0x0A00_000A)
        for _ in 0..<3_000 {
            let n = Int.random(in: 0...40, using: &rng)
            // Bytes biased towards 0x00, 0x0A and 0x0D so newlines (aligned or not) are common.
            let chunk = (0..<n).map { _ in [0x00, 0x0A, 0x0D, 0x41, UInt8.random(in: 0...255, using: &rng)].randomElement(using: &rng)! }
            let encoding = TextEncoding.allCases.randomElement(using: &rng)!
            let chunkOffset = Int64.random(in: 0...9, using: &rng)
            let textStart = Int64([0, 2, 3].randomElement(using: &rng)!)
            #expect(ends(chunk, encoding, chunkOffset: chunkOffset, textStart: textStart)
                    == naiveEnds(chunk, encoding, chunkOffset: chunkOffset, textStart: textStart),
                    "\(chunk) \(encoding) @\(chunkOffset) text@\(textStart)")
        }
    }

    @Test func latin1BytesAboveASCIIBecomeTwoByteUTF8() {
        #expect(convert([0x63, 0x61, 0x66, 0xE9, 0x0A], .latin1).bytes == [0x63, 0x61, 0x66, 0xC3, 0xA9])
        #expect(convert([0x80, 0xA0, 0xFF, 0x0D, 0x0A], .latin1).bytes == [0xC2, 0x80, 0xC2, 0xA0, 0xC3, 0xBF])
        #expect(convert([0xE9], .latin1).replaced == 0)
    }

    @Test func invalidUTF8BecomesReplacementCharacters() {
        // A lone continuation byte, a truncated 3-byte sequence, an overlong "/", a surrogate, and F5.
        let raw: [UInt8] = [0x61, 0x80, 0x62, 0xE2, 0x82, 0x63, 0xC0, 0xAF, 0xED, 0xA0, 0x80, 0xF5, 0x0A]
        let (bytes, replaced) = convert(raw, .utf8)
        #expect(bytes == [0x61, 0xEF, 0xBF, 0xBD, 0x62, 0xEF, 0xBF, 0xBD, 0x63]
                + [0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD] + [0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD] + [0xEF, 0xBF, 0xBD])
        #expect(replaced == 8)
        #expect(convert([UInt8](utf8: "valid é 😀\r\n"), .utf8) == ([UInt8](utf8: "valid é 😀"), 0))
    }

    @Test func utf8RepairMatchesTheStandardLibraryOnRandomBytes() {
        var rng = SplitMix(seed: 0xFFFD)
        let interesting: [UInt8] = [0x41, 0x80, 0xBF, 0xC2, 0xC0, 0xE0, 0xA0, 0xED, 0x9F, 0xF0, 0x90, 0xF4, 0x8F, 0xF5, 0xFF]
        for _ in 0..<5_000 {
            let raw = (0..<Int.random(in: 0...12, using: &rng)).map { _ in
                Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt8.random(in: 0x80...0xFF, using: &rng)
            }
            let body = raw.last == 0x0A || raw.last == 0x0D ? Array(raw.dropLast()) : raw
            guard body.last != 0x0D else { continue }
            #expect(convert(raw, .utf8).bytes == Array(String(decoding: body, as: UTF8.self).utf8), "\(raw)")
        }
    }

    @Test(arguments: [false, true])
    func utf16SurrogatesAndCRLFConvert(bigEndian: Bool) {
        let encoding: TextEncoding = bigEndian ? .utf16BE : .utf16LE
        #expect(convert(utf16("é😀\r\n", bigEndian: bigEndian, bom: false), encoding) == ([0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80], 0))
        // Unpaired high surrogate before "A", a lone low surrogate, a high surrogate at the end.
        func units(_ u: [UInt16]) -> [UInt8] { u.flatMap { bigEndian ? [UInt8($0 >> 8), UInt8($0 & 0xFF)] : [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
        let (bytes, replaced) = convert(units([0xD83D, 0x0041, 0xDE00, 0x0042, 0xD800, 0x000A]), encoding)
        #expect(bytes == [0xEF, 0xBF, 0xBD, 0x41, 0xEF, 0xBF, 0xBD, 0x42, 0xEF, 0xBF, 0xBD])
        #expect(replaced == 3)
        // A dangling odd byte (a file cut mid code unit) is one U+FFFD.
        #expect(convert(units([0x0041]) + [0x42], encoding) == ([0x41, 0xEF, 0xBF, 0xBD], 1))
    }

    @Test func utf16ConversionMatchesTheStandardLibraryOnRandomUnits() {
        var rng = SplitMix(seed: 0xD800)
        let interesting: [UInt16] = [0x41, 0xE9, 0x7FF, 0x800, 0xD800, 0xDBFF, 0xDC00, 0xDFFF, 0xFFFD, 0xFFFF, 0x0A00]
        for _ in 0..<5_000 {
            let units = (0..<Int.random(in: 0...10, using: &rng)).map { _ in
                Bool.random(using: &rng) ? interesting.randomElement(using: &rng)! : UInt16.random(in: 0...0xFFFF, using: &rng)
            }
            guard units.last != 0x0A && units.last != 0x0D else { continue }
            let le = units.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            let be = units.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
            let expected = Array(String(decoding: units, as: UTF16.self).utf8)
            #expect(convert(le, .utf16LE).bytes == expected, "\(units)")
            #expect(convert(be, .utf16BE).bytes == expected, "\(units)")
        }
    }

    @Test func forcedCutsDoNotSplitCharacters() {
        let utf8 = [UInt8](utf8: "ab😀cd")       // 😀 occupies bytes 2..<6
        #expect(utf8.withUnsafeBytes { TextEncoding.utf8.lineCut(in: $0, atMost: 4, chunkOffset: 0, textStartOffset: 0) } == 2)
        #expect(utf8.withUnsafeBytes { TextEncoding.utf8.lineCut(in: $0, atMost: 6, chunkOffset: 0, textStartOffset: 0) } == 6)
        #expect(Array(utf8[0..<5]).withUnsafeBytes { TextEncoding.utf8.lineCut(in: $0, atMost: 9, chunkOffset: 0, textStartOffset: 0) } == 2)
        let le = utf16("a😀b", bigEndian: false, bom: false)   // units: a, D83D, DE00, b
        #expect(le.withUnsafeBytes { TextEncoding.utf16LE.lineCut(in: $0, atMost: 5, chunkOffset: 0, textStartOffset: 0) } == 2)
        #expect(le.withUnsafeBytes { TextEncoding.utf16LE.lineCut(in: $0, atMost: 7, chunkOffset: 0, textStartOffset: 0) } == 6)
        // A chunk that starts at an odd file offset of a BOM-less file: units start at odd indices.
        #expect(le.withUnsafeBytes { TextEncoding.utf16LE.lineCut(in: $0, atMost: 6, chunkOffset: 1, textStartOffset: 0) } == 5)
        #expect([UInt8]([0xE9, 0xE9, 0xE9]).withUnsafeBytes { TextEncoding.latin1.lineCut(in: $0, atMost: 2, chunkOffset: 0, textStartOffset: 0) } == 2)
    }
}

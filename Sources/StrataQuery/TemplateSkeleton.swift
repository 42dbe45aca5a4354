import StrataFormat
import StrataSegment

/// What the tokens of every message rendered from one template must and may be, derived from
/// the template alone (CLP-style search): a full-text leaf is decided per template as
/// always / never / maybe, and only rows of "maybe" templates are rendered and tokenised.
///
/// Invariants: `runs` hold the *certain* tokens — tokens of static text bounded on both sides by
/// delimiters (or the message ends), which appear in every rendering, in this order, with
/// nothing but delimiters between the tokens of one run; a placeholder ends a run.
/// `fragments` are static token pieces touching a placeholder (they may merge with a variable,
/// or stand alone next to a negative number's `-`).
struct TemplateSkeleton {
    var runs: [[[UInt8]]] = []
    var fragments: Set<[UInt8]> = []
    /// Some placeholder can produce arbitrary text (string variable or field text reference).
    var hasText = false
    var hasStringVariable = false
    /// Field columns referenced as text.
    var textColumns: [Int] = []
    /// Some placeholder renders a number (every token it touches contains a digit).
    var hasNumber = false
    var hasStatic = false

    init(_ parts: [MessageTemplate.Part]) {
        var current = [[UInt8]]()
        var tok = [UInt8]()
        var touchesLeft = false
        var afterPlaceholder = false
        func endToken(touchesRight: Bool) {
            guard !tok.isEmpty else { return }
            if touchesLeft || touchesRight {
                fragments.insert(tok)
            } else {
                current.append(tok)
            }
            tok = []
        }
        for part in parts {
            switch part {
            case .text(let bytes):
                if !bytes.isEmpty { hasStatic = true }
                for c in bytes {
                    if Tokenizer.isTokenByte(c) {
                        if tok.isEmpty { touchesLeft = afterPlaceholder }
                        tok.append(c >= 0x41 && c <= 0x5A ? c | 0x20 : c)
                    } else {
                        endToken(touchesRight: false)
                    }
                    afterPlaceholder = false
                }
            case .number, .padded, .fieldNumber, .string, .fieldText:
                switch part {
                case .string: hasText = true; hasStringVariable = true
                case .fieldText(let c): hasText = true; textColumns.append(c)
                default: hasNumber = true
                }
                endToken(touchesRight: true)
                runs.append(current)
                current = []
                afterPlaceholder = true
            }
        }
        endToken(touchesRight: false)
        runs.append(current)
    }

    var hasPlaceholder: Bool { hasText || hasNumber }

    /// `maybeStrings`: only a string variable can supply the (single) token — or, for a wildcard,
    /// a token holding its literal — so rows whose string variables do not contain it can be
    /// ruled out from the block's string stream.
    enum Verdict: UInt8 { case never = 0, always = 1, maybe = 2, maybeStrings = 3 }

    /// Whether messages of this template contain the tokens `q` contiguously.
    ///
    /// String variables and field text references always sit between delimiters (the template
    /// tokenizer's delimiters are delimiters here too), so their tokens are tokens of the values
    /// alone: `blockText.mayContain` says whether any such value of the block could hold a token.
    func classify(_ q: [[UInt8]], _ blockText: BlockText) -> Verdict {
        for run in runs where run.count >= q.count && BlockMatcher.containsSequence(run, q) { return .always }
        if !hasPlaceholder { return .never }
        for t in q {
            if runs.contains(where: { $0.contains(t) }) || fragments.contains(t) { continue }
            if !blockText.variablesMayHold(t) { return .never }
            if hasNumber && t.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) { continue }
            if hasStringVariable && blockText.stringsContain(t) { continue }
            if textColumns.contains(where: { blockText.columnContains($0, t) }) { continue }
            return .never
        }
        return .maybe
    }

    /// Whether some single token of the messages passes `test`.
    func classify(_ test: StringTest) -> Verdict {
        for run in runs where run.contains(where: { test.test($0) }) { return .always }
        return hasPlaceholder ? .maybe : .never
    }
}

/// Per-block answers to "could a variable value hold this token?", by case-insensitive
/// substring search over all string variables, and over all values of a referenced column,
/// computed at most once per (token, source) per block.
final class BlockText {
    let block: MessageBlock
    private var strings: [[UInt8]: Bool] = [:]
    private var columns: [Int: [[UInt8]: Bool]] = [:]

    /// See `DecodedBlock.variableTokens`.
    let variableTokens: BloomFilter?
    private var variableAnswers: [[UInt8]: Bool] = [:]

    init(_ block: MessageBlock, variableTokens: BloomFilter? = nil) {
        self.block = block
        self.variableTokens = variableTokens
    }

    /// False only if no variable region of the block holds the (lower-cased) token `t`; then
    /// `t` can occur in a message only as a static token of its template.
    func variablesMayHold(_ t: [UInt8]) -> Bool {
        guard let f = variableTokens else { return true }
        if let r = variableAnswers[t] { return r }
        let r = f.mayContain(BloomKey.variableToken(t))
        variableAnswers[t] = r
        return r
    }

    private var stringRowSets: [[UInt8]: [Bool]] = [:]
    private var rowsByTemplate: [[Int32]]?
    private var lastNeedle: [UInt8]?
    private var lastRows: [Bool] = []

    /// `stringRows(t)[i]`, without a dictionary lookup per row while `t` stays the same.
    func stringRow(_ t: [UInt8], _ i: Int) -> Bool {
        if lastNeedle != t {
            lastRows = stringRows(t)
            lastNeedle = t
        }
        return lastRows[i]
    }

    /// Per row: whether one of its string variables contains `t` (case-insensitive substring).
    /// Found from the occurrences of `t` in the block's string stream, not row by row.
    func stringRows(_ t: [UInt8]) -> [Bool] {
        if let r = stringRowSets[t] { return r }
        let streams = block.streams
        var rows = [Bool](repeating: false, count: streams.rowCount)
        guard let slots = try? streams.parsedStrings() else {
            // Damaged streams: let every row be rendered, which reports the damage.
            rows = [Bool](repeating: true, count: streams.rowCount)
            stringRowSets[t] = rows
            return rows
        }
        var positions = [Int]()
        slots.bytes.withUnsafeBufferPointer { hay in
            let n = t.count, h = hay.count
            guard n > 0, h >= n, slots.bytesStart <= h - n else { return }
            for i in slots.bytesStart...(h - n) {
                var k = 0
                while k < n {
                    var c = hay[i + k]
                    if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                    if c != t[k] { break }
                    k += 1
                }
                if k == n { positions.append(i) }
            }
        }
        if !positions.isEmpty {
            if rowsByTemplate == nil {
                var byTemplate = [[Int32]](repeating: [], count: streams.templateCount)
                for (row, c) in streams.codes.enumerated() { byTemplate[Int(c)].append(Int32(row)) }
                rowsByTemplate = byTemplate
            }
            // Ranges are in stream order (template, slot, ordinal), so one pass pairs them with
            // the sorted occurrence positions.
            var pi = 0
            outer: for (k, tslots) in slots.ranges.enumerated() {
                for col in tslots {
                    for (j, r) in col.enumerated() {
                        while pi < positions.count && positions[pi] < r.lowerBound { pi += 1 }
                        if pi == positions.count { break outer }
                        if positions[pi] + t.count <= r.upperBound { rows[Int(rowsByTemplate![k][j])] = true }
                    }
                }
            }
        }
        stringRowSets[t] = rows
        return rows
    }

    func stringsContain(_ t: [UInt8]) -> Bool {
        if let r = strings[t] { return r }
        // Damaged or unreadable streams: "maybe", so the row is rendered and reports it.
        let r = (try? block.streams.stringStream())?.withUnsafeBufferPointer { Self.containsLowered($0, t) } ?? true
        strings[t] = r
        return r
    }

    /// Searches the column's decompressed chunk: string values are in it verbatim, except
    /// hex-mode ones (binary), which can only hold all-hex tokens — those always say "maybe".
    func columnContains(_ c: Int, _ t: [UInt8]) -> Bool {
        if let r = columns[c]?[t] { return r }
        var r = false
        do throws(FormatError) {
            if let raw = try block.referencedChunk(c) {
                r = raw.withUnsafeBufferPointer { Self.containsLowered($0, t) }
            }
            // Hex-mode values are stored as binary: an all-hex token needs the values themselves.
            if !r && t.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
                if let view = try block.referencedValues(c), case .hex = view.strings {
                    for i in 0..<view.strings.count where view.strings[i].withUnsafeBufferPointer({ Self.containsLowered($0, t) }) {
                        r = true
                        break
                    }
                }
            }
        } catch {
            // Undecidable here: say "maybe" so rendering the row reports the damage.
            r = true
        }
        columns[c, default: [:]][t] = r
        return r
    }

    /// Whether `needle` (lower-case) occurs in `hay` compared case-insensitively (ASCII).
    /// Candidate positions are found 8 at a time (SWAR): lanes whose byte equals the needle's
    /// first byte *and* whose byte `n - 1` further equals its last byte (a letter compared with
    /// the 0x20 bit set, so either case matches). Only those candidates are verified, so a
    /// common first letter (`e` of `error`) costs little.
    static func containsLowered(_ hay: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
        let n = needle.count, h = hay.count
        guard n > 0 else { return true }
        guard h >= n, let base = hay.baseAddress else { return false }
        return needle.withUnsafeBufferPointer { nd -> Bool in
            let np = nd.baseAddress!
            let lanes: UInt64 = 0x0101_0101_0101_0101
            @inline(__always) func isLetter(_ c: UInt8) -> Bool { c &- 0x61 < 26 }
            let first = np[0], lastByte = np[n - 1]
            let foldFirst: UInt64 = isLetter(first) ? lanes &* 0x20 : 0
            let foldLast: UInt64 = isLetter(lastByte) ? lanes &* 0x20 : 0
            let a = lanes &* UInt64(first), z = lanes &* UInt64(lastByte)
            @inline(__always) func zeroLanes(_ v: UInt64) -> UInt64 { (v &- lanes) & ~v & (lanes &* 0x80) }
            @inline(__always) func matchesAt(_ i: Int) -> Bool {
                for k in 0..<n {
                    var d = base[i + k]
                    if d &- 0x41 < 26 { d |= 0x20 }
                    if d != np[k] { return false }
                }
                return true
            }
            let last = h - n   // the last start position
            var i = 0
            let raw = UnsafeRawPointer(base)
            while i + 8 <= last + 1 {
                let w0 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                let w1 = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i + n - 1, as: UInt64.self))
                // The SWAR test can flag a lane after a true zero lane: candidates are verified.
                var m = zeroLanes((w0 | foldFirst) ^ a) & zeroLanes((w1 | foldLast) ^ z)
                while m != 0 {
                    if matchesAt(i + (m.trailingZeroBitCount >> 3)) { return true }
                    m &= m &- 1
                }
                i += 8
            }
            while i <= last {
                if matchesAt(i) { return true }
                i += 1
            }
            return false
        }
    }
}

/// Allocation-free classification of a template for full-text queries, scanning the template
/// bytes directly (the byte format of `format-spec/message-encoding.md`): the same verdicts as
/// `TemplateSkeleton.classify`, without building a skeleton.
enum TemplateScan {
    /// What a placeholder is.
    enum Placeholder { case number, string, text(column: Int) }

    /// Walks `tpl`: `token(start, end, touchesPlaceholder)` for each static token run and
    /// `placeholder(kind)` for each placeholder, in order.
    @inline(__always)
    static func scan(_ p: UnsafeBufferPointer<UInt8>, token: (Int, Int, Bool) -> Void, placeholder: (Placeholder) -> Void) {
        let n = p.count
        var i = 0
        var tokStart = -1
        var touchesLeft = false
        var afterPlaceholder = false
        func endToken(_ e: Int, touchesRight: Bool) {
            guard tokStart >= 0 else { return }
            token(tokStart, e, touchesLeft || touchesRight)
            tokStart = -1
        }
        while i < n {
            let c = p[i]
            if c >= 0x10 && c <= 0x16 {
                if c == 0x10 {
                    // An escaped static byte: always a delimiter.
                    endToken(i, touchesRight: false)
                    afterPlaceholder = false
                    i += 2
                    continue
                }
                endToken(i, touchesRight: true)
                switch c {
                case 0x11: placeholder(.number); i += 1
                case 0x12: placeholder(.string); i += 1
                case 0x13, 0x14: placeholder(.number); i += 2
                case 0x15, 0x16:
                    var col = 0, shift = 0
                    i += 1
                    while i < n {
                        let b = p[i]; i += 1
                        col |= Int(b & 0x7F) << shift
                        shift += 7
                        if b & 0x80 == 0 || shift > 28 { break }
                    }
                    if c == 0x15 { placeholder(.text(column: col)) } else { placeholder(.number); i += 1 }
                default: i += 1
                }
                afterPlaceholder = true
                continue
            }
            if Tokenizer.isTokenByte(c) {
                if tokStart < 0 { tokStart = i; touchesLeft = afterPlaceholder }
            } else {
                endToken(i, touchesRight: false)
            }
            afterPlaceholder = false
            i += 1
        }
        endToken(n, touchesRight: false)
    }

    /// Whether the lower-cased template bytes `f` occur inside `t`.
    static func containsLowered(_ t: [UInt8], _ p: UnsafeBufferPointer<UInt8>, _ f: Range<Int>) -> Bool {
        let n = f.count
        guard n > 0, n <= t.count else { return n == 0 }
        outer: for start in 0...(t.count - n) {
            for k in 0..<n {
                var c = p[f.lowerBound + k]
                if c >= 0x41 && c <= 0x5A { c |= 0x20 }
                if c != t[start + k] { continue outer }
            }
            return true
        }
        return false
    }

    @inline(__always)
    static func equalLowered(_ p: UnsafeBufferPointer<UInt8>, _ s: Int, _ e: Int, _ t: [UInt8]) -> Bool {
        guard e - s == t.count else { return false }
        var k = 0
        for x in s..<e {
            var c = p[x]
            if c >= 0x41 && c <= 0x5A { c |= 0x20 }
            if c != t[k] { return false }
            k += 1
        }
        return true
    }

    /// Whether messages of template `tpl` contain the lower-cased tokens `q` contiguously.
    /// `run` is scratch space (the clean static tokens of the current run), reused across calls.
    /// Scratch buffers reused across templates (no allocation per template).
    struct Scratch {
        var run: [Range<Int>] = []
        var fragments: [Range<Int>] = []
        var textColumns: [Int] = []
    }

    /// What a template's bytes alone say about the tokens `q` (at most 64): settled (`always`,
    /// or `never` without placeholders), or which tokens the static text has and which can
    /// come from a number; `finish` completes it with the block's variables. Depends only on
    /// the template bytes and `q`, so it is computed once per distinct template (see
    /// `BlockMatcher.SkeletonCache`).
    struct Static {
        var settled: TemplateSkeleton.Verdict?
        /// Bit k: q[k] occurs as some static token.
        var seen: UInt64 = 0
        /// Bit k: q[k] can be produced by a number placeholder (with its touching fragments).
        var fromNumber: UInt64 = 0
        var hasString = false
        var textColumns: [Int] = []
    }

    static func classifyStatic(_ p: UnsafeBufferPointer<UInt8>, _ q: [[UInt8]], scratch: inout Scratch) -> Static {
        var out = Static()
        var always = false
        var hasNumber = false, hasPlaceholder = false
        scratch.run.removeAll(keepingCapacity: true)
        scratch.fragments.removeAll(keepingCapacity: true)
        scratch.textColumns.removeAll(keepingCapacity: true)
        // Whether q occurs contiguously among the clean tokens of the run just ended.
        func endRun() {
            defer { scratch.run.removeAll(keepingCapacity: true) }
            guard !always, scratch.run.count >= q.count else { return }
            outer: for start in 0...(scratch.run.count - q.count) {
                for k in 0..<q.count where !equalLowered(p, scratch.run[start + k].lowerBound, scratch.run[start + k].upperBound, q[k]) { continue outer }
                always = true
                return
            }
        }
        var seen: UInt64 = 0
        scan(p, token: { s, e, touches in
            for k in q.indices where seen & (1 << UInt64(k)) == 0 && equalLowered(p, s, e, q[k]) { seen |= 1 << UInt64(k) }
            if touches {
                endRun()
                scratch.fragments.append(s..<e)
            } else {
                scratch.run.append(s..<e)
            }
        }, placeholder: { kind in
            hasPlaceholder = true
            endRun()
            switch kind {
            case .number: hasNumber = true
            case .string: out.hasString = true
            case .text(let c): scratch.textColumns.append(c)
            }
        })
        endRun()
        if always { out.settled = .always; return out }
        if !hasPlaceholder { out.settled = .never; return out }
        out.seen = seen
        out.textColumns = scratch.textColumns
        // A number renders digits only; a token around it with other bytes must contain a
        // static fragment touching a placeholder.
        for (k, t) in q.enumerated() where hasNumber && t.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) {
            if t.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) || scratch.fragments.contains(where: { f in containsLowered(t, p, f) }) {
                out.fromNumber |= 1 << UInt64(k)
            }
        }
        return out
    }

    /// The verdict of a template with static analysis `st` in a block with these variables.
    static func finish(_ st: Static, _ q: [[UInt8]], _ blockText: BlockText) -> TemplateSkeleton.Verdict {
        if let v = st.settled { return v }
        var onlyStrings = q.count == 1
        for (k, t) in q.enumerated() {
            let bit: UInt64 = 1 << UInt64(k)
            if st.seen & bit != 0 { onlyStrings = false; continue }
            // Not a static token here: it can only come from a variable region.
            if !blockText.variablesMayHold(t) { return .never }
            if st.fromNumber & bit != 0 { onlyStrings = false; continue }
            let inStrings = st.hasString && blockText.stringsContain(t)
            if st.textColumns.contains(where: { blockText.columnContains($0, t) }) { onlyStrings = false; continue }
            if inStrings { continue }
            return .never
        }
        return onlyStrings ? .maybeStrings : .maybe
    }

    /// Whether some token of messages of this template matches the case-insensitive glob `g`.
    /// Every matching token contains `g.longestLiteral`, which settles templates whose variables
    /// cannot hold it; `.maybe` rows are then checked on their variable regions.
    static func classify(_ p: UnsafeBufferPointer<UInt8>, glob g: Glob, literal: [UInt8], _ blockText: BlockText,
                         scratch: inout Scratch) -> TemplateSkeleton.Verdict {
        var always = false
        var hasNumber = false, hasString = false, hasPlaceholder = false
        scratch.fragments.removeAll(keepingCapacity: true)
        scratch.textColumns.removeAll(keepingCapacity: true)
        scan(p, token: { s, e, touches in
            if touches {
                scratch.fragments.append(s..<e)
            } else if !always && g.matches(UnsafeBufferPointer(rebasing: p[s..<e])) {
                always = true
            }
        }, placeholder: { kind in
            hasPlaceholder = true
            switch kind {
            case .number: hasNumber = true
            case .string: hasString = true
            case .text(let c): scratch.textColumns.append(c)
            }
        })
        if always { return .always }
        if !hasPlaceholder { return .never }
        if literal.isEmpty || !scratch.fragments.isEmpty { return .maybe }
        if hasNumber && literal.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) { return .maybe }
        if scratch.textColumns.contains(where: { blockText.columnContains($0, literal) }) { return .maybe }
        if hasString && blockText.stringsContain(literal) { return .maybeStrings }
        return .never
    }
}

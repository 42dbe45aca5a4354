import StrataFormat

/// A sorted term dictionary with one posting bitmap per term, as stored in a segment's term
/// index section. See `format-spec/term-index.md`.
///
/// Layout (all offsets relative to the section's own data areas):
/// ```
/// varint termCount
/// varint blockCount                      = ⌈termCount / 16⌉
/// blockCount × sparse entry:             first term of each block, for binary search
///     varint firstTermLength, bytes firstTerm
///     varint termOffset                  where the block starts in the term area
///     varint postingOffset               where its first posting starts in the posting area
/// varint termAreaLength
/// term area: per block, 16 terms (the last block fewer), front-coded:
///     varint shared                      bytes shared with the previous term of the block (0 for the first)
///     varint suffixLength, bytes suffix
///     varint postingLength
/// posting area: the postings back to back, each a portable Roaring bitmap
/// ```
/// Invariants: terms strictly ascending (unsigned bytewise); the first term of each block is
/// written whole (shared = 0) and equals its sparse entry; posting lengths add up to the posting
/// area exactly. A lookup reads the sparse index, one block of ≤ 16 terms and one posting.
public struct TermDictionary: Sendable {
    public static let termsPerBlock = 16

    struct SparseEntry: Sendable {
        var firstTerm: [UInt8]
        var termOffset: Int
        var postingOffset: Int
    }

    let bytes: [UInt8]
    let sparse: [SparseEntry]
    let termCount: Int
    let termArea: Range<Int>
    let postingArea: Range<Int>
    let section: String

    public var count: Int { termCount }

    // MARK: writing

    /// Encodes `entries`, which must be sorted by term, strictly ascending.
    public static func encode(_ entries: [(term: [UInt8], posting: RoaringBitmap)]) -> [UInt8] {
        var terms = ByteWriter()
        var postings = ByteWriter()
        var sparse = ByteWriter()
        var prev = [UInt8]()
        for (i, e) in entries.enumerated() {
            precondition(i == 0 || prev.lexicographicallyPrecedes(e.term), "BUG: terms not strictly ascending")
            let p = e.posting.serialized()
            if i % termsPerBlock == 0 {
                sparse.writeVarint(UInt64(e.term.count))
                sparse.writeBytes(e.term)
                sparse.writeVarint(UInt64(terms.count))
                sparse.writeVarint(UInt64(postings.count))
                terms.writeVarint(0)
                terms.writeVarint(UInt64(e.term.count))
                terms.writeBytes(e.term)
            } else {
                var shared = 0
                while shared < prev.count && shared < e.term.count && prev[shared] == e.term[shared] { shared += 1 }
                terms.writeVarint(UInt64(shared))
                terms.writeVarint(UInt64(e.term.count - shared))
                terms.writeBytes(Array(e.term[shared...]))
            }
            terms.writeVarint(UInt64(p.count))
            postings.writeBytes(p)
            prev = e.term
        }
        var w = ByteWriter()
        w.writeVarint(UInt64(entries.count))
        w.writeVarint(UInt64((entries.count + termsPerBlock - 1) / termsPerBlock))
        w.writeBytes(sparse.bytes)
        w.writeVarint(UInt64(terms.count))
        w.writeBytes(terms.bytes)
        w.writeBytes(postings.bytes)
        return w.bytes
    }

    // MARK: reading

    /// Opens a dictionary over `bytes` (decoding only its sparse index).
    public init(bytes: [UInt8], section: String) throws(FormatError) {
        self.bytes = bytes
        self.section = section
        let parsed = try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> (Int, [SparseEntry], Range<Int>, Range<Int>) in
            var r = ByteReader(p, section: section)
            let n = try r.readLength(limit: r.remaining, "term count")
            let blocksAt = r.absoluteOffset
            let nb = try r.readLength(limit: r.remaining, "term block count")
            guard nb == (n + Self.termsPerBlock - 1) / Self.termsPerBlock else {
                throw FormatError.invalid(section, at: blocksAt, "\(nb) term blocks for \(n) terms")
            }
            var sparse = [SparseEntry]()
            sparse.reserveCapacity(nb)
            for b in 0..<nb {
                let at = r.absoluteOffset
                let t = Array(try r.readLengthPrefixed(limit: Limits.maxFieldValueBytes))
                let to = try r.readLength(limit: r.remaining, "term offset")
                let po = try r.readLength(limit: Int.max / 2, "posting offset")
                if let last = sparse.last {
                    guard last.firstTerm.lexicographicallyPrecedes(t), last.termOffset < to, last.postingOffset < po else {
                        throw FormatError.invalid(section, at: at, "sparse entry \(b) not ascending")
                    }
                } else if to != 0 || po != 0 {
                    throw FormatError.invalid(section, at: at, "first term block does not start at offset 0")
                }
                sparse.append(SparseEntry(firstTerm: t, termOffset: to, postingOffset: po))
            }
            let areaAt = r.absoluteOffset
            let areaLength = try r.readLength(limit: r.remaining, "term area length")
            let termStart = r.position
            guard areaLength <= p.count - termStart else {
                throw FormatError.truncated(section, at: areaAt, needed: areaLength, available: p.count - termStart)
            }
            let termArea = termStart..<(termStart + areaLength)
            let postingArea = termArea.upperBound..<p.count
            for (b, e) in sparse.enumerated() where e.termOffset >= areaLength || e.postingOffset > postingArea.count {
                throw FormatError.invalid(section, at: termStart, "term block \(b) offsets outside the areas")
            }
            if n == 0 && (areaLength != 0 || !postingArea.isEmpty) {
                throw FormatError.invalid(section, at: areaAt, "an empty dictionary with \(p.count - termStart) bytes of terms and postings")
            }
            return (n, sparse, termArea, postingArea)
        }
        (termCount, sparse, termArea, postingArea) = parsed
    }

    /// One term and where its posting is (relative to the posting area).
    public struct Entry: Sendable {
        public var term: [UInt8]
        public var posting: Range<Int>
    }

    /// Decodes term block `b`.
    func block(_ b: Int) throws(FormatError) -> [Entry] {
        let e = sparse[b]
        let count = min(Self.termsPerBlock, termCount - b * Self.termsPerBlock)
        let end = b + 1 < sparse.count ? termArea.lowerBound + sparse[b + 1].termOffset : termArea.upperBound
        return try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> [Entry] in
            let start = termArea.lowerBound + e.termOffset
            var r = ByteReader(UnsafeRawBufferPointer(rebasing: p[start..<end]), base: start, section: section)
            var out = [Entry]()
            out.reserveCapacity(count)
            var prev = [UInt8]()
            var posting = e.postingOffset
            for k in 0..<count {
                let at = r.absoluteOffset
                let shared = try r.readLength(limit: prev.count, "shared prefix")
                if k == 0 && shared != 0 { throw FormatError.invalid(section, at: at, "first term of block \(b) shares a prefix") }
                let suffix = try r.readLengthPrefixed(limit: Limits.maxFieldValueBytes)
                var term = Array(prev[0..<shared])
                term.append(contentsOf: suffix)
                if k == 0 && term != e.firstTerm { throw FormatError.invalid(section, at: at, "block \(b) first term differs from the sparse index") }
                if k > 0 && !prev.lexicographicallyPrecedes(term) { throw FormatError.invalid(section, at: at, "terms not strictly ascending") }
                let len = try r.readLength(limit: postingArea.count - posting, "posting length")
                out.append(Entry(term: term, posting: posting..<(posting + len)))
                posting += len
                prev = term
            }
            try r.expectEnd()
            if b + 1 < sparse.count, !prev.lexicographicallyPrecedes(sparse[b + 1].firstTerm) {
                throw FormatError.invalid(section, at: start, "last term of block \(b) does not sort before block \(b + 1)")
            }
            if b + 1 < sparse.count, posting != sparse[b + 1].postingOffset {
                throw FormatError.invalid(section, at: start, "postings of block \(b) end at \(posting), next block starts at \(sparse[b + 1].postingOffset)")
            }
            if b + 1 == sparse.count, posting != postingArea.count {
                throw FormatError.invalid(section, at: start, "postings end at \(posting) of \(postingArea.count) bytes")
            }
            return out
        }
    }

    /// The posting stored at `range` (from an `Entry`).
    public func posting(_ range: Range<Int>) throws(FormatError) -> RoaringBitmap {
        let start = postingArea.lowerBound + range.lowerBound
        return try withBytes(bytes) { (p: UnsafeRawBufferPointer) throws(FormatError) -> RoaringBitmap in
            try RoaringBitmap.deserialize(UnsafeRawBufferPointer(rebasing: p[start..<(start + range.count)]), base: start)
        }
    }

    /// The index of the last block whose first term is ≤ `term` (nil if `term` sorts first).
    func blockFor(_ term: [UInt8]) -> Int? {
        var lo = 0, hi = sparse.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if term.lexicographicallyPrecedes(sparse[mid].firstTerm) { hi = mid } else { lo = mid + 1 }
        }
        return lo == 0 ? nil : lo - 1
    }

    /// The posting of exactly `term`, if present.
    public func lookup(_ term: [UInt8]) throws(FormatError) -> RoaringBitmap? {
        guard let b = blockFor(term) else { return nil }
        for e in try block(b) where e.term == term { return try posting(e.posting) }
        return nil
    }

    /// Calls `body` with each term starting with `prefix`, in order, until it returns false.
    /// Terms that cannot start with the prefix are not decoded.
    public func forEach(prefix: [UInt8], _ body: (Entry) throws(FormatError) -> Bool) throws(FormatError) {
        var b = blockFor(prefix) ?? 0
        while b < sparse.count {
            if !prefix.isEmpty, !sparse[b].firstTerm.starts(with: prefix), prefix.lexicographicallyPrecedes(sparse[b].firstTerm) {
                return
            }
            for e in try block(b) {
                if e.term.starts(with: prefix) {
                    if try !body(e) { return }
                } else if prefix.lexicographicallyPrecedes(e.term) {
                    return
                }
            }
            b += 1
        }
    }

    /// The union of the postings of every term that starts with `prefix` and passes `test`.
    public func union(prefix: [UInt8], where test: ([UInt8]) -> Bool) throws(FormatError) -> RoaringBitmap {
        var acc = RoaringBitmap()
        try forEach(prefix: prefix) { (e: Entry) throws(FormatError) -> Bool in
            if test(e.term) { acc = acc.union(try posting(e.posting)) }
            return true
        }
        return acc
    }

    /// Every entry (for verification and inspection); validates every block and posting.
    public func allEntries() throws(FormatError) -> [(term: [UInt8], posting: RoaringBitmap)] {
        var out = [(term: [UInt8], posting: RoaringBitmap)]()
        for b in sparse.indices {
            for e in try block(b) { out.append((e.term, try posting(e.posting))) }
        }
        return out
    }
}

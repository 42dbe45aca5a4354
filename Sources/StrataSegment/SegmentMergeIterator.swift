import StrataFormat

/// The entries of several segments in one (timestamp, sequence) order: a k-way merge that
/// decodes one block of each input at a time, so merging segments of any size holds only a
/// block per input (how compaction rewrites a partition).
///
/// Invariants: entries come out sorted by (timestamp, sequence), each input's entries in
/// their stored order; once a block fails to decode, `error` is set and the iteration ends.
public struct SegmentMergeIterator: IteratorProtocol {
    private final class Cursor {
        let reader: SegmentReader
        var block = -1
        var rows: [LogEntry] = []
        var row = 0
        init(_ reader: SegmentReader) { self.reader = reader }
    }

    private var cursors: [Cursor]
    /// The first decoding failure (the iteration stopped there).
    public private(set) var error: FormatError?
    /// Entries handed out so far.
    public private(set) var count = 0

    public init(_ readers: [SegmentReader]) {
        cursors = readers.map(Cursor.init)
        for c in cursors { advanceBlock(c) }
    }

    /// The shape of the merged segment: row count, time range and the union of field keys.
    public static func shape(of readers: [SegmentReader]) -> SegmentWriter.Shape {
        var keys = Set<UTF8Key>()
        for r in readers { for key in r.fieldColumns.keys { keys.insert(UTF8Key(key)) } }
        return SegmentWriter.Shape(rowCount: readers.reduce(0) { $0 + Int($1.header.rowCount) },
                                   minTimestampNanos: readers.map(\.header.minTimestampNanos).min() ?? 0,
                                   maxTimestampNanos: readers.map(\.header.maxTimestampNanos).max() ?? 0,
                                   fieldKeys: keys)
    }

    /// Loads the cursor's next non-empty block (or leaves it exhausted).
    private mutating func advanceBlock(_ c: Cursor) {
        c.rows = []
        c.row = 0
        while c.rows.isEmpty && c.block + 1 < c.reader.index.blocks.count && error == nil {
            c.block += 1
            do throws(FormatError) {
                let b = try c.reader.decodeBlock(c.block)
                c.rows = (0..<b.rowCount).map { b.entry(at: $0) }
            } catch {
                self.error = error
                c.rows = []
            }
        }
    }

    public mutating func next() -> LogEntry? {
        guard error == nil else { return nil }
        var best: Cursor?
        for c in cursors where c.row < c.rows.count {
            guard let b = best else { best = c; continue }
            let e = c.rows[c.row], f = b.rows[b.row]
            if (e.timestampNanos, e.sequence) < (f.timestampNanos, f.sequence) { best = c }
        }
        guard let c = best else { return nil }
        let e = c.rows[c.row]
        c.row += 1
        if c.row == c.rows.count { advanceBlock(c) }
        count += 1
        return e
    }
}

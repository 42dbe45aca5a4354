import ArgumentParser
import StrataFormat
import StrataSegment

/// Human-readable structure and statistics of segments.
public enum Inspector {
    /// The inspect report of one segment.
    public static func report(_ r: SegmentReader) -> String {
        var s = ""
        let h = r.header, f = r.footer
        s += "segment \(r.path)\n"
        s += "  format version   \(h.version)\n"
        s += "  size             \(r.sizeInBytes) bytes\n"
        s += "  rows             \(h.rowCount)\n"
        s += "  blocks           \(r.index.blocks.count)\n"
        s += "  time range       \(Timestamp.format(h.minTimestampNanos)) .. \(Timestamp.format(h.maxTimestampNanos))\n"
        s += "  partition start  \(Timestamp.format(h.partitionStartNanos))\n"
        s += "  sections         header 0..<\(SegmentHeader.size), chunks \(SegmentHeader.size)..<\(f.indexOffset), "
        s += "block index \(f.indexOffset)..<\(f.indexOffset + f.indexLength + 8), footer \(r.sizeInBytes - SegmentFooter.size)..<\(r.sizeInBytes)\n"
        var raw = [Int](repeating: 0, count: r.index.columns.count)
        var stored = raw
        var codecs = [[Codec: Int]](repeating: [:], count: r.index.columns.count)
        for b in r.index.blocks {
            for c in b.chunks {
                raw[c.column] += c.rawLength
                stored[c.column] += c.storedLength + 8
                codecs[c.column][c.codec, default: 0] += 1
            }
        }
        s += "  columns:\n"
        s += "    " + pad("name", 28) + pad("kind", 8) + pad("codec", 16) + lpad("raw", 12) + lpad("stored", 12) + lpad("ratio", 8) + "\n"
        var totalRaw = 0, totalStored = 0
        for (i, c) in r.index.columns.enumerated() {
            let codecText = codecs[i].sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key)×\($0.value)" }.joined(separator: ",")
            let ratio = stored[i] > 0 ? Double(raw[i]) / Double(stored[i]) : 0
            s += "    " + pad(c.name, 28) + pad(c.kind == .system ? "system" : "field", 8) + pad(codecText, 16)
            s += lpad(String(raw[i]), 12) + lpad(String(stored[i]), 12) + lpad(fixed(ratio), 8) + "\n"
            totalRaw += raw[i]; totalStored += stored[i]
        }
        s += "    " + pad("total", 52) + lpad(String(totalRaw), 12) + lpad(String(totalStored), 12)
        s += lpad(fixed(totalStored > 0 ? Double(totalRaw) / Double(totalStored) : 0), 8) + "\n"
        if !r.index.termIndexes.isEmpty {
            s += "  term indexes (postings: block numbers):\n"
            s += "    " + pad("column", 28) + pad("codec", 8) + lpad("terms", 10) + lpad("raw", 12) + lpad("stored", 12) + "\n"
            for t in r.index.termIndexes {
                let terms = (try? r.termIndex(column: t.column))??.count
                s += "    " + pad(r.index.columns[t.column].name, 28) + pad("\(t.codec)", 8) + lpad(terms.map(String.init) ?? "?", 10)
                s += lpad(String(t.rawLength), 12) + lpad(String(t.storedLength + 8), 12) + "\n"
            }
        }
        // Message templates: how many distinct ones each block holds (a measure of how well the
        // messages split into static text and variables).
        var templateCounts = [Int]()
        for b in r.index.blocks.indices {
            let only = ColumnSelection(system: [.messageTemplates], fields: [], renderMessages: false)
            if let n = (try? r.decodeBlock(b, columns: only))?.messageBlock?.streams.templateCount { templateCounts.append(n) }
        }
        if let lo = templateCounts.min(), let hi = templateCounts.max() {
            s += "  message templates per block: min \(lo), mean \(templateCounts.reduce(0, +) / templateCounts.count), max \(hi)\n"
        }
        let bloom = r.index.blocks.reduce(0) { $0 + ($1.chunk(r.columnNumber(.bloom)).map { $0.storedLength + 8 } ?? 0) }
        let termBytes = r.index.termIndexes.reduce(0) { $0 + $1.storedLength + 8 }
        s += "  index bytes      Bloom filters \(bloom), term indexes \(termBytes), total \(bloom + termBytes) of \(r.sizeInBytes)\n"
        return s
    }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count) }
    static func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }
    static func fixed(_ v: Double) -> String {
        let r = (v * 100).rounded() / 100
        var t = String(r)
        if let d = t.firstIndex(of: ".") { let n = t.distance(from: d, to: t.endIndex) - 1; if n < 2 { t += "0" } }
        return t
    }
}

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a segment's structure: time range, rows, blocks, sections, and per column encoding and raw vs stored bytes.")

    @Argument(help: "Segment files, or data directories (every live segment).")
    var paths: [String]

    func run() throws {
        for p in paths {
            for seg in try DataDirectoryWalker.segments(at: p) {
                let r = try SegmentReader(path: seg)
                print(Inspector.report(r))
            }
        }
    }
}

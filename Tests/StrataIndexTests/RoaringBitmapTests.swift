import Foundation
import Testing
import StrataFormat
import StrataTestSupport
@testable import StrataIndex

@Suite struct RoaringBitmapTests {
    /// Sets that exercise every container kind: sparse (array), dense (bitmap), runs, several keys.
    static func sets() -> [[UInt32]] {
        var rng = SeededRandom(seed: 77)
        var out: [[UInt32]] = [[], [0], [UInt32.max], [1, 2, 3, 100_000, 65_535, 65_536]]
        out.append((0..<10_000).map { _ in UInt32.random(in: 0..<200_000, using: &rng) })          // arrays
        out.append((0..<70_000).map { UInt32($0) })                                                  // runs across 2 keys
        out.append((0..<20_000).map { _ in UInt32.random(in: 0..<65_536, using: &rng) })            // one dense bitmap
        out.append((0..<300).flatMap { k in (0..<5).map { UInt32(k) * 65_536 + UInt32($0) * 7 } })   // many keys (≥ 4, offsets)
        out.append(Array(1_000_000..<1_004_000) + (0..<5000).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) })
        return out
    }

    @Test(arguments: sets())
    func serialisationRoundTrips(values: [UInt32]) throws {
        let bm = RoaringBitmap(values)
        #expect(bm.values == Array(Set(values)).sorted())
        #expect(bm.cardinality == Set(values).count)
        let bytes = bm.serialized()
        let back = try bytes.withUnsafeBytes { try RoaringBitmap.deserialize($0) }
        #expect(back.values == bm.values)
        for v in values.prefix(50) { #expect(back.contains(v)) }
    }

    @Test func setOperationsMatchSwiftSets() {
        var rng = SeededRandom(seed: 5)
        for _ in 0..<20 {
            let a = (0..<Int.random(in: 0...9000, using: &rng)).map { _ in UInt32.random(in: 0..<300_000, using: &rng) }
            let b = (0..<Int.random(in: 0...9000, using: &rng)).map { _ in UInt32.random(in: 0..<300_000, using: &rng) }
            let x = RoaringBitmap(a), y = RoaringBitmap(b)
            #expect(x.intersection(y).values == Set(a).intersection(b).sorted())
            #expect(x.union(y).values == Set(a).union(b).sorted())
            #expect(x.subtracting(y).values == Set(a).subtracting(b).sorted())
        }
    }

    @Test func damagedSerialisationsAreRejected() throws {
        let bytes = RoaringBitmap([1, 5, 9, 70_000, 70_001]).serialized()
        for cut in 0..<bytes.count {
            #expect(throws: FormatError.self) { try Array(bytes[0..<cut]).withUnsafeBytes { _ = try RoaringBitmap.deserialize($0) } }
        }
        var unsorted = bytes
        unsorted.swapAt(unsorted.count - 4, unsorted.count - 2)   // swap the two low halves of the last container
        #expect(throws: FormatError.self) { try unsorted.withUnsafeBytes { _ = try RoaringBitmap.deserialize($0) } }
    }

    /// Byte compatibility with an independent implementation (CRoaring through pyroaring):
    /// Strata's bytes load in pyroaring as the same set, and pyroaring's bytes load in Strata.
    @Test func bytesAreCompatibleWithPyroaring() throws {
        let dir = TemporaryDirectory()
        for (i, values) in Self.sets().enumerated() {
            let ours = RoaringBitmap(values)
            let oursPath = dir.path + "/ours-\(i).bin", listPath = dir.path + "/list-\(i).txt", theirsPath = dir.path + "/theirs-\(i).bin"
            try Data(ours.serialized()).write(to: URL(fileURLWithPath: oursPath))
            try ours.values.map(String.init).joined(separator: "\n").write(toFile: listPath, atomically: true, encoding: .utf8)
            let script = """
            import sys
            from pyroaring import BitMap
            ours = BitMap.deserialize(open(sys.argv[1], 'rb').read())
            expected = [int(x) for x in open(sys.argv[2]).read().split()]
            assert list(ours) == expected, 'pyroaring read a different set from Strata bytes'
            theirs = BitMap(expected)
            theirs.run_optimize()
            open(sys.argv[3], 'wb').write(theirs.serialize())
            """
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3", "-c", script, oursPath, listPath, theirsPath]
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "pyroaring rejected or misread Strata's bitmap \(i)")
            let theirs = try Array(Data(contentsOf: URL(fileURLWithPath: theirsPath)))
            let decoded = try theirs.withUnsafeBytes { try RoaringBitmap.deserialize($0) }
            #expect(decoded.values == ours.values, "Strata misread pyroaring's bitmap \(i)")
        }
    }
}

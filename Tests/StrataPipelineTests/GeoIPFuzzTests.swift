#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import StrataPipeline

/// Fuzz iterations per case: `STRATA_FUZZ_ITERATIONS` when set (for long local runs), else `fallback`.
func fuzzIterations(_ fallback: Int) -> Int {
    guard let raw = getenv("STRATA_FUZZ_ITERATIONS"), let n = Int(String(cString: raw)), n > 0 else { return fallback }
    return n
}

/// A small deterministic generator so fuzz failures reproduce (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct GeoIPFuzzTests {
    /// Opens `bytes` and looks up every probe address; counts how often each step failed.
    /// Throwing is fine, trapping is the bug this looks for.
    @discardableResult
    private func exercise(_ bytes: [UInt8]) -> (opened: Bool, lookupErrors: Int) {
        let db: GeoIPDatabase
        do { db = try GeoIPDatabase(bytes: bytes, path: "fuzz.mmdb") } catch { return (false, 0) }
        var errors = 0
        for ip in GeoIPFixtures.probeAddresses {
            do { _ = try db.lookup(ip) } catch { errors += 1 }
            _ = db.geoFields(ip)
            _ = try? db.lookup(ip, path: ["country", "names", "en"])
        }
        return (true, errors)
    }

    @Test(arguments: GeoIPFixtures.layouts)
    func truncationAtEveryLengthNeverCrashes(recordSize: Int, ipVersion: Int) {
        let bytes = GeoIPFixtures.bytes(recordSize: recordSize, ipVersion: ipVersion)
        var opened = 0
        for length in 0...bytes.count where exercise(Array(bytes[..<length])).opened {
            opened += 1
        }
        // Any cut shortens the metadata map at the end of the file, so only the full file opens.
        #expect(opened == 1)
    }

    @Test(arguments: GeoIPFixtures.layouts)
    func randomByteFlipsNeverCrash(recordSize: Int, ipVersion: Int) {
        let original = GeoIPFixtures.bytes(recordSize: recordSize, ipVersion: ipVersion)
        var rng = SeededGenerator(state: UInt64(recordSize * 10 + ipVersion))
        var opened = 0, failed = 0
        for _ in 0..<fuzzIterations(1500) {
            var bytes = original
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let at = Int.random(in: 0..<bytes.count, using: &rng)
                bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
            }
            let r = exercise(bytes)
            if r.opened { opened += 1 } else { failed += 1 }
        }
        #expect(opened > 0 && failed > 0, "opened \(opened), failed \(failed)")
    }

    @Test func randomDataSectionsNeverCrash() {
        var rng = SeededGenerator(state: 42)
        for _ in 0..<fuzzIterations(3000) {
            let count = Int.random(in: 0...64, using: &rng)
            let data = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            exercise(MMDBWriter.singleRecord(data: data, recordSize: [24, 28, 32].randomElement(using: &rng) ?? 24).bytes)
        }
    }

    @Test func randomBytesAfterTheMarkerNeverCrash() {
        var rng = SeededGenerator(state: 7)
        for _ in 0..<fuzzIterations(3000) {
            let tail = (0..<Int.random(in: 0...48, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? GeoIPDatabase(bytes: [UInt8](repeating: 0, count: 40) + MMDBMetadata.marker + tail, path: "fuzz.mmdb")
        }
    }
}

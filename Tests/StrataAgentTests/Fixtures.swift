import Foundation

/// Test fixtures under `Tests/StrataAgentTests/Fixtures`, found from this file's path.
enum Fixture {
    /// Absolute path of the fixtures directory.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    /// The Docker container every docker fixture belongs to.
    static let dockerID = "3f4e1a2b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f"

    /// 2026-11-29T10:00:00Z in nanoseconds since the epoch (computed independently).
    static let tenOClockNanos: Int64 = 1_795_946_400_000_000_000

    /// The bytes of the fixture at `relativePath`.
    static func bytes(_ relativePath: String) throws -> [UInt8] {
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/" + relativePath))
        return [UInt8](data)
    }

    /// The lines of a fixture with their raw offsets, each without its `\n`.
    static func lines(_ relativePath: String) throws -> [(offset: Int64, bytes: [UInt8])] {
        let all = try bytes(relativePath)
        var out: [(Int64, [UInt8])] = []
        var start = 0
        for i in all.indices where all[i] == 0x0A {
            out.append((Int64(start), Array(all[start..<i])))
            start = i + 1
        }
        precondition(start == all.count, "fixture \(relativePath) does not end in a newline")
        return out
    }

    /// Every regular file under `relativeDirectory`, as paths relative to it, sorted.
    static func files(under relativeDirectory: String) throws -> [String] {
        let base = root + "/" + relativeDirectory
        guard let walker = FileManager.default.enumerator(atPath: base) else { return [] }
        var out: [String] = []
        while let next = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + next, isDirectory: &isDirectory), !isDirectory.boolValue {
                out.append(next)
            }
        }
        return out.sorted()
    }
}

/// SplitMix64: deterministic random input so failures reproduce.
struct SplitMix: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Array where Element == UInt8 {
    /// The UTF-8 bytes of `text`.
    init(utf8 text: String) { self = Array(text.utf8) }
}

/// `bytes` as text, for readable expectations (bytes must be valid UTF-8 to compare exactly).
func text(_ bytes: some Collection<UInt8>) -> String { String(decoding: Array(bytes), as: UTF8.self) }

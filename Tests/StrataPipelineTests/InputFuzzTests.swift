#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing
@testable import StrataPipeline

@Suite struct InputFuzzTests {
    /// libc's reading of `text` as 4 or 16 bytes, or nil.
    private func inetPton(_ text: String) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 16)
        if buffer.withUnsafeMutableBytes({ inet_pton(AF_INET, text, $0.baseAddress) }) == 1 { return Array(buffer[..<4]) }
        if buffer.withUnsafeMutableBytes({ inet_pton(AF_INET6, text, $0.baseAddress) }) == 1 { return buffer }
        return nil
    }

    private func bytes(_ a: IPAddress) -> [UInt8] {
        a.bitCount == 32
            ? (0..<4).map { UInt8(truncatingIfNeeded: a.low >> (8 * (3 - $0))) }
            : (0..<8).map { UInt8(truncatingIfNeeded: a.high >> (8 * (7 - $0))) }
              + (0..<8).map { UInt8(truncatingIfNeeded: a.low >> (8 * (7 - $0))) }
    }

    @Test func addressParsingAgreesWithInetPton() {
        var rng = SeededGenerator(state: 99)
        let alphabet = Array("0123456789abcdefABCDEF:.:.::1".utf8)
        let seeds = ["1.2.3.4", "::", "::1", "2001:db8::1", "::ffff:1.2.3.4", "1:2:3:4:5:6:7:8", "fe80::", "0.0.0.0"]
        var checked = 0
        for round in 0..<fuzzIterations(60_000) {
            var text: [UInt8]
            if round % 2 == 0 {
                text = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng) ?? 58 }
            } else {
                // Mutate a valid address a little, so many cases sit near the grammar's edges.
                text = Array((seeds.randomElement(using: &rng) ?? "::").utf8)
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let c = alphabet.randomElement(using: &rng) ?? 58
                    switch Int.random(in: 0...2, using: &rng) {
                    case 0: text.insert(c, at: Int.random(in: 0...text.count, using: &rng))
                    case 1 where !text.isEmpty: text.remove(at: Int.random(in: 0..<text.count, using: &rng))
                    default: if !text.isEmpty { text[Int.random(in: 0..<text.count, using: &rng)] = c }
                    }
                }
            }
            let s = String(decoding: text, as: UTF8.self)
            let mine = IPAddress(s).map(bytes)
            #expect(mine == inetPton(s), "\(s)")
            checked += mine == nil ? 0 : 1
        }
        #expect(checked > 100)
    }

    @Test func userAgentParsingOfRandomBytesNeverCrashes() throws {
        let parser = try UserAgentParser(rules: UserAgentParser.defaultRules)
        var rng = SeededGenerator(state: 5)
        let pieces = ["Mozilla/5.0 (", "Windows NT ", "Android ", "Mobile", "iPad", "Chrome/", "Safari/", "Version/",
                      "rv:", "Trident/", "CPU OS ", "Mac OS X ", "_", "1", ".", ";", ")", " ", "bot", "\u{FF}", "é"]
        for _ in 0..<fuzzIterations(20_000) {
            var ua = ""
            for _ in 0..<Int.random(in: 0...12, using: &rng) { ua += pieces.randomElement(using: &rng) ?? "" }
            let info = parser.parse(ua)
            #expect(info.browserVersion.utf8.count <= UserAgentParser.maxVersionLength)
            #expect(info.osVersion.utf8.count <= UserAgentParser.maxVersionLength)
            let random = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = random.withUnsafeBytes { parser.parse($0) }
        }
    }
}

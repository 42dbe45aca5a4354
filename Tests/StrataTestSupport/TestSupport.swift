import StrataFormat
import StrataIO
#if canImport(Glibc)
import Glibc
#endif

/// A deterministic pseudo-random generator (SplitMix64) so failures reproduce.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A fresh empty directory under /tmp, removed by `remove()`.
public final class TemporaryDirectory {
    public let path: String

    public init(_ label: String = "strata-test") {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(p != nil, "BUG: mkdtemp failed")
        path = String(cString: p!)
    }

    /// Deletes the directory tree, in process: `system("rm -rf")` would fork, and the child
    /// would hold every descriptor (and `flock`) of the other tests running meanwhile.
    public func remove() {
        try? FileSystem.removeTree(path)
    }

    deinit { remove() }
}

/// Path of the shared test corpus (`../shared/corpus` from the package root), found by walking up from this file.
public func sharedCorpusPath() -> String {
    var dir = String(#filePath)
    for _ in 0..<6 {
        dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)])
        let candidate = dir + "/../shared/corpus"
        if access(candidate, F_OK) == 0 { return candidate }
    }
    return "../shared/corpus"
}

/// Root of the package (where `format-spec/` lives).
public func packageRootPath() -> String {
    var dir = String(#filePath)
    for _ in 0..<6 {
        dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)])
        if access(dir + "/Package.swift", F_OK) == 0 { return dir }
    }
    return "."
}

/// Random log entries with every kind of value, for round trips.
public func randomEntries(count: Int, rng: inout SeededRandom, baseNanos: Int64 = 1_764_374_400_000_000_000) -> [LogEntry] {
    let words = ["error", "timeout", "connection", "refused", "user", "login", "ok", "GET", "/api/v1/users", "ünïcödé", "日本語", "x=1", "\u{11}ctl", "\"quoted\""]
    var out = [LogEntry]()
    for i in 0..<count {
        var msg = ""
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            let pick = Int.random(in: 0..<4, using: &rng)
            switch pick {
            case 0: msg += String(Int64.random(in: -100_000...100_000_000, using: &rng))
            case 1: msg += "\(Int.random(in: 0...999, using: &rng)).\(Int.random(in: 0...99, using: &rng))"
            case 2: msg += String(UInt64.random(in: 0...UInt64.max, using: &rng), radix: 16)
            default: msg += words.randomElement(using: &rng)!
            }
            msg += [" ", ": ", "/", "=", ",", "\t"].randomElement(using: &rng)!
        }
        var fields = [Field]()
        if Bool.random(using: &rng) { fields.append(Field("status", .int(Int64.random(in: 100...599, using: &rng)))) }
        if Bool.random(using: &rng) { fields.append(Field("duration_ms", .float(Double(Int.random(in: 0...100_000, using: &rng)) / 100))) }
        if Int.random(in: 0..<5, using: &rng) == 0 { fields.append(Field("ratio", .float(Double.random(in: -1...1, using: &rng)))) }
        if Bool.random(using: &rng) { fields.append(Field("user", .string(words.randomElement(using: &rng)!))) }
        if Int.random(in: 0..<7, using: &rng) == 0 { fields.append(Field("ok", .bool(Bool.random(using: &rng)))) }
        if Int.random(in: 0..<9, using: &rng) == 0 { fields.append(Field("arr", .json("[1,\"a\"]"))) }
        if Int.random(in: 0..<9, using: &rng) == 0 { fields.append(Field("mixed", i % 2 == 0 ? .int(Int64(i)) : .string("s\(i)"))) }
        out.append(LogEntry(timestampNanos: baseNanos + Int64.random(in: 0...3_600_000_000_000, using: &rng),
                            sequence: UInt64(i + 1),
                            level: LogLevel.allCases.randomElement(using: &rng)!,
                            message: msg,
                            service: ["api", "auth", "", "ünï"].randomElement(using: &rng)!,
                            host: "web-\(Int.random(in: 0..<20, using: &rng))",
                            source: Bool.random(using: &rng) ? "" : "/var/log/app.log",
                            fields: fields,
                            tags: Int.random(in: 0..<4, using: &rng) == 0 ? ["canary", "eu"] : []))
    }
    return out
}

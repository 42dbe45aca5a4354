#if canImport(Glibc)
import Glibc
#endif

/// Server messages for operators, on stderr (one line each, written whole).
enum FileLog {
    static func error(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    }
}

#if canImport(Glibc)
import Glibc
private let systemRead = Glibc.read
#elseif canImport(Darwin)
import Darwin
private let systemRead = Darwin.read
#endif

/// Reads a whole file into memory with plain POSIX calls (no Foundation).
///
/// Invariant: on success the array holds every byte read until end of file; on failure the
/// thrown value carries the `errno` of the call that failed and the descriptor is closed.
enum FileBytes {
    /// The OS error number of a failed open or read.
    struct Failure: Error {
        var errno: Int32
    }

    /// The contents of the file at `path`.
    static func read(path: String) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(errno: errno) }
        defer { close(fd) }
        var info = stat()
        var out: [UInt8] = []
        if fstat(fd, &info) == 0, info.st_size > 0 { out.reserveCapacity(Int(info.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n == 0 { return out }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(errno: errno)
            }
            out.append(contentsOf: chunk[0..<n])
        }
    }
}

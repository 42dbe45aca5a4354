#if canImport(Glibc)
import Glibc
#endif

/// A read-only memory mapping of a whole file.
///
/// The mapping lives as long as the object; `bytes` must not be used after it is released.
/// An empty file maps to an empty buffer. Segments are immutable, so the mapping never
/// changes under a reader.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// The file's bytes.
    public let bytes: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    /// Maps `path` read-only.
    public init(path: String) throws(IOError) {
        self.path = path
        let h = try FileHandle(path: path, flags: O_RDONLY)
        let size = try h.size()
        if size == 0 {
            base = nil
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, h.fd, 0), p != MAP_FAILED else {
            throw IOError(path: path, operation: "mmap", errno: errno)
        }
        base = p
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base { munmap(base, bytes.count) }
    }
}

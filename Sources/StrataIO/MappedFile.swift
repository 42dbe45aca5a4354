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
        owned = false
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

    private let owned: Bool

    /// Holds a private copy of `contents` as if it were the mapped file `path` (for in-memory
    /// readers such as fuzz targets; no file is touched).
    public init(copying contents: [UInt8], path: String) {
        self.path = path
        owned = true
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(contents.count, 1), alignment: 16)
        contents.withUnsafeBytes { if let src = $0.baseAddress { p.copyMemory(from: src, byteCount: $0.count) } }
        base = p
        bytes = UnsafeRawBufferPointer(start: p, count: contents.count)
    }

    deinit {
        guard let base else { return }
        if owned { base.deallocate() } else { munmap(base, bytes.count) }
    }
}

import StrataFormat
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error raised by the agent's disk buffer (`DiskBuffer`).
///
/// Every case names the file it concerns. Faults in bytes on disk carry a `FormatError`, which
/// gives the structure, the absolute offset and what was expected versus found, so messages
/// read like
/// `/var/lib/strata-agent/buffer/00000000000000000003.buf: agent buffer record @0x1a2b: checksumMismatch: checksum mismatch (stored 0x…, computed 0x…)`.
///
/// Invariant: only `.corrupt` means damaged bytes (`isCorruption`); `.unsupportedVersion` means
/// the bytes come from a newer agent and were not interpreted further.
public enum AgentBufferError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed on `path`; `errno` is the system's error number. Disk full
    /// (`isDiskFull`) is reported this way too: the append wrote nothing that stays.
    case io(path: String, operation: String, errno: Int32)
    /// Bytes of `path` failed a check outside recovery (for example a record that was valid
    /// when the buffer was opened no longer matches its checksum when `peek` reads it again).
    /// The buffer sets such a segment aside on its next open.
    case corrupt(path: String, FormatError)
    /// `path` was written by a newer agent: its `found` version at byte `offset` is outside
    /// `supported`. The buffer refuses to open rather than misread or move the file.
    case unsupportedVersion(path: String, offset: Int, found: UInt16, supported: ClosedRange<UInt16>)
    /// An append of `sizeInBytes` (header included) can never fit: it exceeds
    /// `limitInBytes`, the smaller of the buffer's `maxBytes` and the record size limit.
    case recordTooLarge(sizeInBytes: Int, limitInBytes: Int)
    /// A construction parameter is out of range; `detail` says which and what is allowed.
    case invalidConfiguration(detail: String)
    /// Another `DiskBuffer` (in this or another process) has the directory open: `path` is its lock file.
    case locked(path: String)
    /// The buffer was closed with `close()`; `path` is its directory.
    case closed(path: String)

    /// Whether the error means bytes on disk are damaged.
    public var isCorruption: Bool {
        if case .corrupt = self { return true }
        return false
    }

    /// Whether the error is the disk (or quota) being full: back-pressure, not damage.
    public var isDiskFull: Bool {
        if case .io(_, _, let e) = self { return e == ENOSPC || e == EDQUOT || e == EFBIG }
        return false
    }

    /// The file or directory the error concerns.
    public var path: String {
        switch self {
        case .io(let p, _, _), .corrupt(let p, _), .unsupportedVersion(let p, _, _, _), .locked(let p), .closed(let p): p
        case .recordTooLarge, .invalidConfiguration: ""
        }
    }

    public var description: String {
        switch self {
        case .io(let path, let operation, let e):
            return "\(path): \(operation) failed: \(String(cString: strerror(e))) (errno \(e))"
        case .corrupt(let path, let error):
            return error.inFile(path).description
        case .unsupportedVersion(let path, let offset, let found, let supported):
            return "\(path) @0x\(String(offset, radix: 16)): agent buffer format version \(found) not supported "
                + "(this strata-agent reads \(supported.lowerBound)...\(supported.upperBound)); "
                + "it was written by a newer strata-agent: run that version, or move the buffer directory aside"
        case .recordTooLarge(let size, let limit):
            return "agent buffer record of \(size) bytes can never fit: the limit is \(limit) bytes (split the batch)"
        case .invalidConfiguration(let detail):
            return "agent buffer configuration: \(detail)"
        case .locked(let path):
            return "\(path): the agent buffer is already open (lock held by this or another process)"
        case .closed(let path):
            return "\(path): the agent buffer is closed"
        }
    }

    /// Maps a decoder's error about `path`: `unsupportedVersion` becomes its own case (reading
    /// the found version from `bytes`), every other kind `.corrupt`.
    static func from(_ error: FormatError, path: String, bytes: UnsafeRawBufferPointer) -> AgentBufferError {
        guard error.kind == .unsupportedVersion, error.offset + 2 <= bytes.count else { return .corrupt(path: path, error) }
        let found = UInt16(bytes[error.offset]) | UInt16(bytes[error.offset + 1]) << 8
        return .unsupportedVersion(path: path, offset: error.offset, found: found, supported: AgentBufferFormat.supportedVersions)
    }
}

/// Which output of a container a log line was written to.
///
/// Docker's json-file driver and the CRI log format both name it in every line; stdout and
/// stderr are reassembled independently because the runtime interleaves their chunks.
public enum LogStream: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The container's standard output.
    case stdout = 1
    /// The container's standard error.
    case stderr = 2

    /// The stream named by `name` (exactly `stdout` or `stderr`, ASCII, case-sensitive as both
    /// runtimes write them), or nil for anything else.
    public init?(name: UnsafeRawBufferPointer) {
        guard name.count == 6, name[0] == UInt8(ascii: "s"), name[1] == UInt8(ascii: "t"),
              name[2] == UInt8(ascii: "d") else { return nil }
        switch (name[3], name[4], name[5]) {
        case (UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "t")): self = .stdout
        case (UInt8(ascii: "e"), UInt8(ascii: "r"), UInt8(ascii: "r")): self = .stderr
        default: return nil
        }
    }

    /// `stdout` or `stderr`, as the runtimes spell it.
    public var description: String { self == .stdout ? "stdout" : "stderr" }
}

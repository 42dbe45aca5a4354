import StrataFormat
import StrataPipeline

/// Pipeline configuration YAML: the input is a `pipelines:` document; if it builds, a few
/// entries run through it. Invariants: a bad configuration throws a PipelineConfigError (never
/// traps); running a built set never traps and keeps every stored entry valid.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPipelineConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let set = try? PipelineSet.load(yaml: text, path: "fuzz.yaml", baseDirectory: "/nonexistent") else { return 0 }
    let entries = [LogEntry(timestampNanos: 1_795_910_400_000_000_000, message: #"1.2.3.4 - - [29/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 500 1 "-" "curl/8""#, service: "web"),
                   LogEntry(timestampNanos: 1_795_910_400_000_000_001, message: #"{"level":"warn","msg":"x","n":1}"#, service: "app"),
                   LogEntry(timestampNanos: 1_795_910_400_000_000_002, message: "level=error msg=boom user=bob@example.com")]
    let runner = PipelineRunner(set: set, printLine: { _ in })
    for e in runner.run(entries, now: 1_795_910_400_000_000_000) {
        var out = [UInt8]()
        LogEntryJSON.append(e, to: &out)
    }
    return 0
}

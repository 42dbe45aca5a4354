import ArgumentParser
import StrataEngine
import StrataFormat
import StrataIO
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// `segtool compact DIR`: one compaction pass by hand on a data directory no server holds.
struct CompactCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compact",
        abstract: "Run one compaction pass on a data directory (no server may hold it).",
        discussion: """
            Unflushed WAL entries are flushed first. The plan follows the compaction policy: \
            partitions still receiving writes merge size tiers of --min-segments segments; \
            partitions whose end is more than --settle in the past merge into as few segments as \
            --max-output-rows allows. --all treats every partition as settled (a full merge). \
            --dry-run prints the plan and changes nothing.
            """)

    @Argument(help: "The data directory.")
    var directory: String

    @Flag(help: "Print the plan only.")
    var dryRun = false

    @Flag(help: "Merge every partition as if settled.")
    var all = false

    @Option(help: "A partition counts as settled this long after its end (e.g. 10m, 1h).")
    var settle = "10m"

    @Option(help: "Segments of one size tier that trigger a merge in an active partition.")
    var minSegments = 4

    @Option(help: "Rows per merged segment at most.")
    var maxOutputRows = 8_000_000

    @Option(help: "Write at most this many MB/s per merge (0: unthrottled).")
    var maxWriteMBPerS = 0

    @Option(help: "Merges run at once (each on its own partition; default: the number of cores).")
    var jobs = 0

    func run() throws {
        guard let settleNanos = DurationText.parseNanos(settle) else {
            throw ValidationError("--settle: expected a duration such as 10m or 1h, got '\(settle)'")
        }
        guard minSegments >= 2, maxOutputRows > 0, maxWriteMBPerS >= 0 else {
            throw ValidationError("--min-segments must be ≥ 2, --max-output-rows > 0, --max-write-mb-per-s ≥ 0")
        }
        var policy = CompactionPolicy(minSegments: minSegments, maxOutputRows: maxOutputRows,
                                      settleNanos: all ? -(1 << 62) : settleNanos, maxWriteBytesPerSecond: maxWriteMBPerS << 20)
        // Crash tests: SIGKILL this process at a named step (see CompactionStep).
        if let at = getenv("STRATA_TEST_KILL_AT_COMPACTION_STEP").map({ String(cString: $0) }) {
            policy.stepHook = { step in if step.rawValue == at { kill(getpid(), SIGKILL) } }
        }
        guard FileSystem.exists(directory + "/MANIFEST") else {
            throw ValidationError("\(directory): no MANIFEST (not a Strata data directory)")
        }
        let engine = try Engine(options: EngineOptions(dataDirectory: directory), readOnly: dryRun)
        defer { try? engine.close() }
        if !dryRun { try engine.flush() }
        let before = engine.currentManifest.segments
        let plan = engine.compactionPlan(policy)
        print("segments: \(before.count) in \(Set(before.map(\.partitionStartNanos)).count) partitions, \(before.reduce(0) { $0 + $1.sizeInBytes }) bytes")
        if plan.isEmpty { print("nothing to compact") }
        for task in plan { print((dryRun ? "plan: " : "merge: ") + task.description) }
        guard !dryRun, !plan.isEmpty else { return }
        let t0 = monotonicNanos()
        let workers = jobs > 0 ? jobs : Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        let outcomes = Outcomes(count: plan.count)
        let fixedPolicy = policy
        DispatchQueue.concurrentPerform(iterations: min(max(workers, 1), plan.count)) { worker in
            // Worker w takes tasks w, w + workers, …: partitions are independent.
            for i in stride(from: worker, to: plan.count, by: max(workers, 1)) {
                do throws(EngineError) { outcomes.set(i, .success(try engine.compact(plan[i], policy: fixedPolicy))) } catch { outcomes.set(i, .failure(error)) }
            }
        }
        var read: UInt64 = 0, written: UInt64 = 0
        var failure: EngineError?
        for (task, outcome) in zip(plan, outcomes.all) {
            switch outcome {
            case .success(let r):
                read += task.bytes
                written += r.output.sizeInBytes
                print("done: segment \(r.output.id) (\(r.output.rowCount) rows, \(r.output.sizeInBytes) bytes) in \(formatMillis(r.nanos)) ms")
            case .failure(let e):
                print("failed: \(task.description): \(e)")
                failure = failure ?? e
            case nil:
                break
            }
        }
        if let failure { throw failure }
        let seconds = Double(monotonicNanos() - t0) / 1e9
        let after = engine.currentManifest.segments
        print("segments: \(after.count), \(after.reduce(0) { $0 + $1.sizeInBytes }) bytes; read \(read) bytes, wrote \(written) bytes in \(formatMillis(UInt64(seconds * 1e9))) ms (\(formatRate(Double(read) / 1e6 / max(seconds, 1e-9))) MB/s of input)")
    }

    private func formatMillis(_ nanos: UInt64) -> String { formatRate(Double(nanos) / 1e6) }

    private func formatRate(_ v: Double) -> String {
        let scaled = (v * 10).rounded() / 10
        return String(scaled)
    }
}

/// Results of merges run in parallel, by task index.
private final class Outcomes: @unchecked Sendable {
    private let lock = ConditionLock()
    private var results: [Result<CompactionResult, EngineError>?]
    init(count: Int) { results = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ r: Result<CompactionResult, EngineError>) { lock.withLock { results[i] = r } }
    var all: [Result<CompactionResult, EngineError>?] { lock.withLock { results } }
}

import Foundation
import Testing
import StrataEngine
import StrataQuery
import StrataTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `strata backup` against a real server under ingest (with flushes and compactions changing
/// the manifest meanwhile), then `strata restore`: the restored directory holds exactly the
/// batches acknowledged up to some point between the backup's start and its end.
@Suite(.serialized) struct BackupTests {
    final class Ingest: @unchecked Sendable {
        let lock = NSLock()
        var acknowledged = 0
        var stop = false
        var failure: String?
    }

    func strata(_ args: [String]) throws -> (Int32, String) {
        let r = try runBinary("strata", args)
        return (r.status, r.output)
    }

    @Test func aBackupTakenDuringIngestRestoresToAConsistentState() throws {
        let dir = TemporaryDirectory("strata-backup")
        defer { dir.remove() }
        let server = try ServerProcess(dataDir: dir.path + "/data", environment: ["STRATA_FLUSH_INTERVAL_SECONDS": "1", "STRATA_MAINTENANCE_INTERVAL_SECONDS": "1"])
        let client = server.client
        let ingest = Ingest()
        let batchSize = 40
        let writer = Thread {
            var batch = 0
            while !ingest.lock.withLock({ ingest.stop }) {
                let body = (0..<batchSize).map { #"{"message":"backup test entry \#($0)","batch":\#(batch)}"# }.joined(separator: "\n")
                do {
                    let r = try client.post("/api/logs", Array(body.utf8))
                    guard r.status == 200 else { ingest.lock.withLock { ingest.failure = "status \(r.status): \(r.text)" }; return }
                } catch {
                    ingest.lock.withLock { ingest.failure = "\(error)" }
                    return
                }
                batch += 1
                ingest.lock.withLock { ingest.acknowledged = batch }
            }
        }
        writer.start()
        defer { ingest.lock.withLock { ingest.stop = true } }

        var checked = 0
        for round in 0..<3 {
            // Let ingest (and its flushes) run, then back up while it goes on.
            let target = ingest.lock.withLock { ingest.acknowledged } + 30
            while ingest.lock.withLock({ ingest.acknowledged < target && ingest.failure == nil }) { usleep(20_000) }
            let before = ingest.lock.withLock { ingest.acknowledged }
            let (status, log) = try strata(["backup", "--data-dir", dir.path + "/data", "--to", dir.path + "/backup\(round)"])
            let after = ingest.lock.withLock { ingest.acknowledged }
            #expect(status == 0, "\(log)")

            let (restored, restoreLog) = try strata(["restore", "--from", dir.path + "/backup\(round)", "--data-dir", dir.path + "/restored\(round)"])
            #expect(restored == 0, "\(restoreLog)")
            let findings = try strata(["query", "--data-dir", dir.path + "/restored\(round)", "--limit", "1", "*"])
            #expect(findings.0 == 0, "\(findings.1)")

            // Whole batches 0..<k, with every batch acknowledged before the backup began.
            let engine = try Engine(options: EngineOptions(dataDirectory: dir.path + "/restored\(round)"), readOnly: true)
            let r = try QueryExecutor(engine: engine).search(SearchRequest(query: "* | stats count() by batch", limit: 100_000))
            var counts = [Int: Int]()
            #expect(r.columns == ["batch", "count()"])
            func int(_ c: CellValue) -> Int? {
                switch c {
                case .int(let v): Int(v)
                case .double(let v): Int(exactly: v)
                default: nil
                }
            }
            for row in r.rows {
                if let b = int(row[0]), let n = int(row[1]) { counts[b] = n } else { Issue.record("row \(row)") }
            }
            let k = counts.count
            #expect(counts.keys.sorted() == Array(0..<k), "batches present: \(counts.keys.sorted().prefix(10))…")
            #expect(counts.values.allSatisfy { $0 == batchSize }, "every batch whole")
            #expect(k >= before && k <= after + 1, "restored \(k) batches; \(before) were acknowledged before the backup, \(after) after")
            #expect(r.total == k * batchSize)
            try engine.close()
            checked += 1
        }
        ingest.lock.withLock { ingest.stop = true }
        while writer.isExecuting { usleep(10_000) }
        #expect(ingest.lock.withLock { ingest.failure } == nil)
        #expect(checked == 3)
        let (busy, message) = try strata(["backup", "--data-dir", dir.path + "/data", "--to", dir.path + "/backup0"])
        #expect(busy != 0 && message.contains("not empty"), "\(message)")
        #expect(server.stop() == 0)
    }
}

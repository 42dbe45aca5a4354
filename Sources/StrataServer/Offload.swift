import Dispatch

/// Runs blocking work (WAL fsync waits, segment scans) on Dispatch threads, so the Swift
/// concurrency pool — which serves every request — is never blocked by it.
enum Offload {
    static let queue = DispatchQueue(label: "strata.server.blocking", attributes: .concurrent)

    static func run<T: Sendable, E: Error>(_ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let r: Result<T, E> = await withCheckedContinuation { cont in
            queue.async {
                do throws(E) { cont.resume(returning: .success(try body())) } catch { cont.resume(returning: .failure(error)) }
            }
        }
        return try r.get()
    }
}

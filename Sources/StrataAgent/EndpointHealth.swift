/// One server endpoint's circuit breaker: `closed` (used), `open` after `failures` consecutive
/// failures (skipped for `cooldown`), then `halfOpen` (one trial request: success closes it,
/// failure opens it again for another cooldown).
struct EndpointHealth: Sendable {
    enum State: String, Sendable { case closed, open, halfOpen = "half-open" }

    let endpoint: OutputConfig.Endpoint
    let failureThreshold: Int
    let cooldownNanos: UInt64
    private(set) var consecutiveFailures = 0
    private(set) var openedAtNanos: UInt64 = 0
    private(set) var isOpen = false
    var requests = 0
    var failures = 0
    var lastError: String?

    init(endpoint: OutputConfig.Endpoint, failureThreshold: Int, cooldownNanos: Int64) {
        self.endpoint = endpoint
        self.failureThreshold = failureThreshold
        self.cooldownNanos = UInt64(cooldownNanos)
    }

    /// The breaker's state at `now`.
    func state(now: UInt64) -> State {
        guard isOpen else { return .closed }
        return now >= openedAtNanos &+ cooldownNanos ? .halfOpen : .open
    }

    /// Whether a request may go to this endpoint at `now`.
    func available(now: UInt64) -> Bool { state(now: now) != .open }

    /// When an open breaker lets a trial request through.
    func reopensAt() -> UInt64 { isOpen ? openedAtNanos + cooldownNanos : 0 }

    mutating func succeeded() {
        requests += 1
        consecutiveFailures = 0
        isOpen = false
        lastError = nil
    }

    mutating func failed(_ reason: String, now: UInt64) {
        requests += 1
        failures += 1
        consecutiveFailures += 1
        lastError = reason
        // A failed trial re-opens at once; otherwise open at the threshold.
        if isOpen || consecutiveFailures >= failureThreshold {
            isOpen = true
            openedAtNanos = now
        }
    }
}

/// Exponential backoff with "equal jitter": the n-th retry waits between half and all of
/// min(max, initial × 2ⁿ⁻¹), so agents that failed together do not retry together.
struct Backoff: Sendable {
    let initialNanos: Int64
    let maxNanos: Int64

    /// The wait before retry number `attempt` (1-based), drawing jitter from `random`.
    func delay<G: RandomNumberGenerator>(attempt: Int, using random: inout G) -> Int64 {
        let shift = min(max(attempt - 1, 0), 40)
        let (scaled, overflow) = initialNanos.multipliedReportingOverflow(by: Int64(1) << shift)
        let cap = overflow ? maxNanos : min(maxNanos, scaled)
        let half = cap / 2
        return half + Int64.random(in: 0...max(0, cap - half), using: &random)
    }
}

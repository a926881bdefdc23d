/// The clock the runtime's own timers read: heartbeats and failure detection, reconnect backoff and the
/// mailboxes' retry backoff (a node's is `ClusterSystem.Settings.clock`); the shop's saga deadline sweep
/// (`SagaDeadlines`) takes one too.
///
/// Production runs on `ContinuousClock` (`.continuous`). A test passes a clock it moves by hand
/// (`ManualClock` in ActorRuntimeTestSupport), so what depends on time is tested without waiting for it.
/// Times the database keeps (rows' retry times, leases, saga deadlines' truth) stay on the database's
/// clock: every process of the cluster must read them alike.
public struct RuntimeClock: Sendable {
    private let elapsed: @Sendable () -> Duration
    private let sleeper: @Sendable (Duration) async throws -> Void

    /// Wraps `clock`; `now` counts from the moment of wrapping.
    public init<C: Clock>(_ clock: C) where C.Duration == Duration {
        let origin = clock.now
        self.elapsed = { origin.duration(to: clock.now) }
        self.sleeper = { try await clock.sleep(for: $0) }
    }

    /// The continuous clock (the default everywhere).
    public static let continuous = RuntimeClock(ContinuousClock())

    /// Time since this clock was wrapped.
    public var now: Duration { self.elapsed() }

    /// Suspends for `duration` of this clock's time.
    ///
    /// - Throws: `CancellationError` if the task is cancelled first.
    public func sleep(for duration: Duration) async throws {
        try await self.sleeper(duration)
    }

    /// `now` in nanoseconds, for atomics.
    var nowNanoseconds: UInt64 { UInt64(max(self.now.nanoseconds, 0)) }
}

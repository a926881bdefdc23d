import Foundation
import Synchronization

/// What the gateway's admission control has done: `node status`, the dashboard and `/metrics` show it.
public struct AdmissionReport: Codable, Sendable, Equatable {
    /// Orders accepted and shed (answered 503) since the gateway started.
    public var accepted: Int
    public var shed: Int
    /// Orders accepted and not yet finished, as last estimated; `limit` is where shedding starts (0: never).
    public var inFlight: Int
    public var limit: Int
    /// Accepted orders without a saga past `stuck_after_seconds`, the oldest one's age and why (the
    /// reconciler's last look); and orders it resolved because their saga could never start.
    public var stuck: Int = 0
    public var oldestStuckSeconds: Double = 0
    public var stuckReason: String?
    public var resolved: Int = 0

    enum CodingKeys: String, CodingKey {
        case accepted, shed, inFlight = "in_flight", limit, stuck, oldestStuckSeconds = "oldest_stuck_seconds"
        case stuckReason = "stuck_reason", resolved
    }
}

/// Sheds new orders while too many are in flight, so that accepted orders still finish within their step
/// deadlines instead of queueing until the saga compensates them. "In flight" is sampled a few times a second
/// (unfinished sagas, plus `SagaCreateOrder` messages still in the gateway's outbox), plus the orders
/// accepted since the sample and those admitted and still being recorded, so a burst cannot overshoot the
/// limit between samples.
final class AdmissionControl: Sendable {
    private struct State {
        var sampled = 0
        /// Orders recorded since the sample being read began (it may not see them).
        var acceptedSinceSample = 0
        /// Admitted and not yet recorded (their group has not committed).
        var admitted = 0
        var accepted = 0
        var shed = 0
        var samples = 0

        var inFlight: Int { self.sampled + self.acceptedSinceSample + self.admitted }
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Whether one more order may be accepted now. When it is, the order counts as in flight until `settle`.
    func admit() -> Bool {
        self.state.withLock { state in
            guard self.limit > 0, state.inFlight >= self.limit else {
                state.admitted += 1
                return true
            }
            state.shed += 1
            return false
        }
    }

    /// An admitted order was recorded (`accepted`), or not (a replay, an error, a refused session).
    func settle(accepted: Bool) {
        self.state.withLock { state in
            state.admitted -= 1
            guard accepted else { return }
            state.accepted += 1
            state.acceptedSinceSample += 1
        }
    }

    /// Call before reading a sample's counts; pass the result to `sample(inFlight:since:)`.
    func beginSample() -> Int {
        self.state.withLock { $0.acceptedSinceSample }
    }

    /// A fresh estimate of the orders in flight: it counts what was accepted before `mark` was taken, not
    /// what was accepted while it was being read.
    func sample(inFlight: Int, since mark: Int) {
        self.state.withLock { state in
            state.sampled = inFlight
            state.acceptedSinceSample -= min(mark, state.acceptedSinceSample)
            state.samples += 1
        }
    }

    /// Samples taken so far.
    var samples: Int { self.state.withLock { $0.samples } }

    var report: AdmissionReport {
        self.state.withLock { state in
            AdmissionReport(accepted: state.accepted, shed: state.shed, inFlight: state.inFlight, limit: self.limit)
        }
    }
}

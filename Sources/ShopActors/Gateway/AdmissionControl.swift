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

    enum CodingKeys: String, CodingKey { case accepted, shed, inFlight = "in_flight", limit }
}

/// Sheds new orders while too many are in flight, so that accepted orders still finish within their step
/// deadlines instead of queueing until the saga compensates them. "In flight" is sampled a few times a second
/// (unfinished sagas, plus `SagaCreateOrder` messages still in the gateway's outbox) and counts the orders
/// accepted since the sample, so a burst cannot overshoot the limit between samples.
final class AdmissionControl: Sendable {
    private struct State {
        var sampled = 0
        var acceptedSinceSample = 0
        var accepted = 0
        var shed = 0
        var samples = 0
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// Whether one more order may be accepted now; counts it as shed when not.
    func admit() -> Bool {
        self.state.withLock { state in
            guard self.limit > 0, state.sampled + state.acceptedSinceSample >= self.limit else { return true }
            state.shed += 1
            return false
        }
    }

    /// An order was recorded (after `admit`, once its group committed).
    func accepted() {
        self.state.withLock { state in
            state.accepted += 1
            state.acceptedSinceSample += 1
        }
    }

    /// A fresh estimate of the orders in flight, taken now: it already counts what was accepted before it.
    func sample(inFlight: Int) {
        self.state.withLock { state in
            state.sampled = inFlight
            state.acceptedSinceSample = 0
            state.samples += 1
        }
    }

    /// Samples taken so far.
    var samples: Int { self.state.withLock { $0.samples } }

    var report: AdmissionReport {
        self.state.withLock { state in
            AdmissionReport(accepted: state.accepted, shed: state.shed, inFlight: state.sampled + state.acceptedSinceSample, limit: self.limit)
        }
    }
}

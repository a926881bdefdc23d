import Foundation

/// The persistent state of one order saga (stored as the `payload` of its `sagas` row).
public struct OrderSagaState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        case running, compensating, completed, compensated
    }

    public enum Phase: String, Codable, Sendable {
        case forward, compensate
    }

    /// One line of the timeline the gateway shows.
    public struct TimelineEntry: Codable, Sendable, Equatable {
        public var step: Int
        public var command: String
        public var outcome: String  // running, completed, failed, timed_out, skipped, retrying
        public var startedAt: Date
        public var finishedAt: Date?
        public var detail: String?

        enum CodingKeys: String, CodingKey {
            case step, command, outcome, detail
            case startedAt = "started_at", finishedAt = "finished_at"
        }
    }

    public var sagaID: String
    public var orderID: String
    public var userID: String
    public var paymentMethodID: String
    public var items: [Item]
    public var paymentSum: Int
    public var paymentID: String?
    public var paymentExternalID: String?
    /// The step being run (forward) or compensated; -1 / 5 when finished.
    public var step: Int
    public var phase: Phase
    public var status: Status
    /// Bumped on every command sent; a timer carries it, so only the latest one counts.
    public var attempt: Int
    /// Failed compensation attempts of the current step (for its retry backoff).
    public var compensationRetries: Int
    public var timeline: [TimelineEntry]

    enum CodingKeys: String, CodingKey {
        case sagaID = "saga_id", orderID = "order_id", userID = "user_id", paymentMethodID = "payment_method_id"
        case items = "order_items", paymentSum = "payment_sum", paymentID = "payment_id"
        case paymentExternalID = "payment_external_id", step = "current_step", phase, status, attempt
        case compensationRetries = "compensation_retries", timeline
    }

    public var isFinished: Bool { self.status == .completed || self.status == .compensated }
}

/// The timer message a saga sends itself for a step's deadline or a compensation retry.
struct SagaTimer: Codable, Sendable {
    static let messageType = "SagaTimer"
    var sagaID: String
    var step: Int
    var phase: OrderSagaState.Phase
    var attempt: Int
    var kind: String  // "deadline" or "retry"

    enum CodingKeys: String, CodingKey { case sagaID = "saga_id", step, phase, attempt, kind }
}

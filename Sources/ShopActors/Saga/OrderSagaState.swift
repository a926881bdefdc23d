import Foundation

/// The state of one order saga: what `OrderSaga` transitions read and write. Stored as columns of its `sagas`
/// row (`SagaStore`); the timeline is stored as an append-only log (`SagaTimelineLog`).
public struct OrderSagaState: Sendable, Equatable {
    public enum Status: String, Codable, Sendable, CaseIterable {
        case running, compensating, completed, compensated

        public var isFinished: Bool { self == .completed || self == .compensated }
    }

    public enum Phase: Int, Sendable {
        case forward = 0, compensate = 1
    }

    /// One line of the timeline the gateway shows.
    public struct TimelineEntry: Codable, Sendable, Equatable {
        public var step: Int
        public var command: String
        public var outcome: String  // running, completed, failed, timed_out, skipped, retrying
        public var startedAt: Date
        public var finishedAt: Date?
        public var detail: String?

        public init(
            step: Int, command: String, outcome: String, startedAt: Date, finishedAt: Date? = nil, detail: String? = nil
        ) {
            self.step = step
            self.command = command
            self.outcome = outcome
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.detail = detail
        }

        enum CodingKeys: String, CodingKey {
            case step, command, outcome, detail
            case startedAt = "started_at", finishedAt = "finished_at"
        }
    }

    /// When the saga acts next without an answer: a step's deadline, or the retry of a failed compensation.
    public struct Deadline: Sendable, Equatable {
        public enum Kind: Int, Sendable {
            case step = 0, retry = 1
        }

        public var at: Date
        public var kind: Kind

        public init(at: Date, kind: Kind) {
            self.at = at
            self.kind = kind
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
    /// The step being run (forward) or compensated; -1 when compensated, `OrderSaga.steps.count` when completed.
    public var step: Int
    public var phase: Phase
    public var status: Status
    /// Commands sent so far.
    public var attempt: Int
    /// Failed attempts of the current compensation (for its retry backoff).
    public var compensationRetries: Int
    /// Nil once finished.
    public var deadline: Deadline?
    public var timeline: [TimelineEntry]

    public init(
        sagaID: String, orderID: String, userID: String, paymentMethodID: String, items: [Item], paymentSum: Int = 0,
        paymentID: String? = nil, paymentExternalID: String? = nil, step: Int = 0, phase: Phase = .forward,
        status: Status = .running, attempt: Int = 0, compensationRetries: Int = 0, deadline: Deadline? = nil,
        timeline: [TimelineEntry] = []
    ) {
        self.sagaID = sagaID
        self.orderID = orderID
        self.userID = userID
        self.paymentMethodID = paymentMethodID
        self.items = items
        self.paymentSum = paymentSum
        self.paymentID = paymentID
        self.paymentExternalID = paymentExternalID
        self.step = step
        self.phase = phase
        self.status = status
        self.attempt = attempt
        self.compensationRetries = compensationRetries
        self.deadline = deadline
        self.timeline = timeline
    }

    public var isFinished: Bool { self.status.isFinished }
}

import Foundation

/// The order saga as a pure state machine: no SQL, no JSON, no clock of its own. `start` and `apply` take the
/// state and the time, change the state, and return what to do; `OrderSagaHandler` loads and saves states and
/// turns the actions into messages.
///
/// Steps (forward / compensation): CreateOrder / CancelOrder, ValidateProducts / –, ReserveInventory /
/// ReleaseInventory, ProcessPayment / RefundPayment, CompleteOrder / –. A failure answer compensates the
/// completed steps in reverse. A step that misses its deadline counts as failed and, since it may have
/// happened after all, is compensated too. A compensation that fails is retried with backoff; one that misses
/// its deadline is sent again: compensations are never dropped. Late and duplicate answers change nothing.
public enum OrderSaga {
    public struct Configuration: Sendable, Equatable {
        /// How long a step may take before it counts as failed. Defaults to 30 s.
        public var stepDeadline: Duration = .seconds(30)
        /// First delay before retrying a failed compensation; doubles up to `stepDeadline`. Defaults to 1 s.
        public var compensationRetry: Duration = .seconds(1)
        /// Deadlines for particular commands, overriding `stepDeadline` (a slow payment gateway, say).
        public var deadlines: [Command: Duration] = [:]

        public init(
            stepDeadline: Duration = .seconds(30), compensationRetry: Duration = .seconds(1),
            deadlines: [Command: Duration] = [:]
        ) {
            self.stepDeadline = stepDeadline
            self.compensationRetry = compensationRetry
            self.deadlines = deadlines
        }

        public func deadline(for command: Command) -> Duration { self.deadlines[command] ?? self.stepDeadline }
    }

    /// The commands the saga sends; the handler fills them in from the state.
    public enum Command: Sendable, Equatable, Hashable, CaseIterable {
        case createOrder, validateProducts, reserveInventory, processPayment, completeOrder, cancelOrder
        case releaseInventory, refundPayment

        /// The message type it is sent as.
        public var type: any ShopCommand.Type {
            switch self {
            case .createOrder: Commands.CreateOrder.self
            case .validateProducts: Commands.ValidateProducts.self
            case .reserveInventory: Commands.ReserveInventory.self
            case .processPayment: Commands.ProcessPayment.self
            case .completeOrder: Commands.CompleteOrder.self
            case .cancelOrder: Commands.CancelOrder.self
            case .releaseInventory: Commands.ReleaseInventory.self
            case .refundPayment: Commands.RefundPayment.self
            }
        }

        /// Its wire name (`CreateOrder`, ...), as the timeline and dead letters show it.
        public var name: String { self.type.commandType }
    }

    /// The answers the saga understands.
    public enum Event: Sendable, Equatable {
        case orderCreated
        case productsValidated([Item])
        case productsValidationFailed(error: String)
        case inventoryReserved
        case inventoryReserveFailed(error: String)
        case inventoryReleased
        case inventoryReleaseFailed(error: String)
        case paymentCompleted(paymentID: String, externalID: String, sum: Int)
        case paymentFailed(error: String)
        case paymentRefunded
        case paymentRefundFailed(error: String)
        case orderCompleted
        case orderCancelled

        /// The event without its data, to match against a step.
        public enum Kind: Sendable, Equatable {
            case orderCreated, productsValidated, productsValidationFailed, inventoryReserved, inventoryReserveFailed
            case inventoryReleased, inventoryReleaseFailed, paymentCompleted, paymentFailed, paymentRefunded
            case paymentRefundFailed, orderCompleted, orderCancelled
        }

        public var kind: Kind {
            switch self {
            case .orderCreated: .orderCreated
            case .productsValidated: .productsValidated
            case .productsValidationFailed: .productsValidationFailed
            case .inventoryReserved: .inventoryReserved
            case .inventoryReserveFailed: .inventoryReserveFailed
            case .inventoryReleased: .inventoryReleased
            case .inventoryReleaseFailed: .inventoryReleaseFailed
            case .paymentCompleted: .paymentCompleted
            case .paymentFailed: .paymentFailed
            case .paymentRefunded: .paymentRefunded
            case .paymentRefundFailed: .paymentRefundFailed
            case .orderCompleted: .orderCompleted
            case .orderCancelled: .orderCancelled
            }
        }

        var error: String? {
            switch self {
            case .productsValidationFailed(let error), .inventoryReserveFailed(let error),
                .inventoryReleaseFailed(let error),
                .paymentFailed(let error), .paymentRefundFailed(let error):
                error
            default:
                nil
            }
        }
    }

    public enum Input: Sendable, Equatable {
        case event(Event)
        /// The saga's deadline (`state.deadline`) may have passed; nothing happens if it has not.
        case deadline
    }

    public enum Action: Sendable, Equatable {
        /// Send this command for the saga's order (to the service that owns it).
        case send(Command)
        /// The saga ended in this status.
        case finished(OrderSagaState.Status)
    }

    struct Step {
        var command: Command
        var success: Event.Kind
        var failure: Event.Kind?
        var compensation: Command?
        var compensationSuccess: Event.Kind?
        var compensationFailure: Event.Kind?
    }

    static let steps = [
        Step(
            command: .createOrder, success: .orderCreated, compensation: .cancelOrder,
            compensationSuccess: .orderCancelled),
        Step(command: .validateProducts, success: .productsValidated, failure: .productsValidationFailed),
        Step(
            command: .reserveInventory, success: .inventoryReserved, failure: .inventoryReserveFailed,
            compensation: .releaseInventory, compensationSuccess: .inventoryReleased,
            compensationFailure: .inventoryReleaseFailed),
        Step(
            command: .processPayment, success: .paymentCompleted, failure: .paymentFailed, compensation: .refundPayment,
            compensationSuccess: .paymentRefunded, compensationFailure: .paymentRefundFailed),
        Step(command: .completeOrder, success: .orderCompleted),
    ]

    /// A new saga for an order: it sends `CreateOrder`.
    public static func start(
        sagaID: String, orderID: String, userID: String, paymentMethodID: String, items: [Item], now: Date,
        configuration: Configuration
    ) -> (OrderSagaState, [Action]) {
        var state = OrderSagaState(
            sagaID: sagaID, orderID: orderID, userID: userID, paymentMethodID: paymentMethodID, items: items)
        var machine = Transition(state: state, now: now, configuration: configuration)
        machine.run()
        state = machine.state
        return (state, machine.actions)
    }

    /// Applies `input` to `state` at `now`.
    public static func apply(_ input: Input, to state: inout OrderSagaState, now: Date, configuration: Configuration)
        -> [Action]
    {
        guard !state.isFinished else { return [] }  // late or duplicate: the saga is over
        var machine = Transition(state: state, now: now, configuration: configuration)
        switch input {
        case .event(let event): machine.react(to: event)
        case .deadline: machine.deadlinePassed()
        }
        state = machine.state
        return machine.actions
    }

    /// One transition in progress: the state and the actions so far.
    private struct Transition {
        var state: OrderSagaState
        let now: Date
        let configuration: Configuration
        var actions: [Action] = []

        mutating func react(to event: Event) {
            let step = OrderSaga.steps[self.state.step]
            switch (self.state.phase, event.kind) {
            case (.forward, step.success):
                self.absorb(event)
                self.finishEntry(outcome: "completed")
                self.state.step += 1
                self.run()
            case (.forward, step.failure):
                self.finishEntry(outcome: "failed", detail: event.error)
                self.compensate(from: self.state.step - 1)
            case (.compensate, step.compensationSuccess):
                self.finishEntry(outcome: "completed")
                self.compensate(from: self.state.step - 1)
            case (.compensate, step.compensationFailure):
                self.finishEntry(outcome: "retrying", detail: event.error)
                self.state.compensationRetries += 1
                self.state.deadline = .init(at: self.now + self.retryDelay, kind: .retry)
            default:
                break  // an answer to an earlier step, or a duplicate: the saga has moved on
            }
        }

        mutating func deadlinePassed() {
            guard let deadline = self.state.deadline, deadline.at <= self.now else { return }
            switch self.state.phase {
            case .forward:
                self.finishEntry(outcome: "timed_out")
                // It may still have happened: compensate it as well.
                self.compensate(from: self.state.step)
            case .compensate:
                if deadline.kind == .step { self.finishEntry(outcome: "timed_out") }
                self.send()
            }
        }

        /// Sends the current forward step's command, or completes the saga after the last.
        mutating func run() {
            guard self.state.step < OrderSaga.steps.count else {
                self.finish(.completed)
                return
            }
            self.state.phase = .forward
            self.state.status = .running
            self.send()
        }

        /// Compensates steps `from`, `from - 1`, ... 0, skipping those without a compensation.
        mutating func compensate(from step: Int) {
            self.state.phase = .compensate
            self.state.status = .compensating
            self.state.compensationRetries = 0
            var index = step
            while index >= 0, OrderSaga.steps[index].compensation == nil {
                self.state.timeline.append(
                    .init(
                        step: index, command: "–", outcome: "skipped", startedAt: self.now, finishedAt: self.now))
                index -= 1
            }
            guard index >= 0 else {
                self.state.step = -1
                self.finish(.compensated)
                return
            }
            self.state.step = index
            self.send()
        }

        mutating func send() {
            let step = OrderSaga.steps[self.state.step]
            let command = self.state.phase == .forward ? step.command : step.compensation ?? step.command
            self.state.attempt += 1
            self.state.timeline.append(
                .init(step: self.state.step, command: command.name, outcome: "running", startedAt: self.now))
            self.state.deadline = .init(
                at: self.now + self.configuration.deadline(for: command).timeInterval, kind: .step)
            self.actions.append(.send(command))
        }

        mutating func finish(_ status: OrderSagaState.Status) {
            self.state.status = status
            self.state.deadline = nil
            self.actions.append(.finished(status))
        }

        mutating func absorb(_ event: Event) {
            switch event {
            case .productsValidated(let validated):
                for index in self.state.items.indices {
                    if let known = validated.first(where: { $0.productID == self.state.items[index].productID }) {
                        self.state.items[index].name = known.name
                        self.state.items[index].price = known.price
                    }
                }
                self.state.paymentSum = self.state.items.reduce(0) { $0 + ($1.price ?? 0) * ($1.quantity ?? 0) }
            case .paymentCompleted(let paymentID, let externalID, let sum):
                self.state.paymentID = paymentID
                self.state.paymentExternalID = externalID
                self.state.paymentSum = sum
            default:
                break
            }
        }

        mutating func finishEntry(outcome: String, detail: String? = nil) {
            guard let last = self.state.timeline.indices.last, self.state.timeline[last].finishedAt == nil else {
                return
            }
            self.state.timeline[last].outcome = outcome
            self.state.timeline[last].finishedAt = self.now
            self.state.timeline[last].detail = detail
        }

        /// `compensationRetry`, doubled for every further failure, at most `stepDeadline`.
        var retryDelay: TimeInterval {
            var delay = self.configuration.compensationRetry
            for _ in 1..<max(self.state.compensationRetries, 1) where delay < self.configuration.stepDeadline {
                delay = delay * 2
            }
            return min(delay, self.configuration.stepDeadline).timeInterval
        }
    }
}

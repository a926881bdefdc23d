import ActorRuntime
import Foundation
import Logging

/// The order saga as a persistent actor: its state is a `sagas` row, changed only inside mailbox turns, so
/// after a restart it simply continues with the next message (and its step timers, being outbox rows, still
/// fire).
///
/// Steps (forward / compensation): CreateOrder / CancelOrder, ValidateProducts / –, ReserveInventory /
/// ReleaseInventory, ProcessPayment / RefundPayment, CompleteOrder / –. A failure event compensates the
/// completed steps in reverse; a step that misses its deadline counts as failed and, since it may have
/// happened after all, is compensated too. A compensation that fails or times out is retried with backoff,
/// never dropped.
public struct OrderSagaHandler: MailboxHandler {
    struct Step {
        var command: String
        var service: String
        var success: String
        var failure: String?
        var compensation: String?
        var compensationSuccess: String?
        var compensationFailure: String?
    }

    static let steps = [
        Step(command: "CreateOrder", service: "order", success: "OrderCreated", compensation: "CancelOrder",
             compensationSuccess: "OrderCancelled"),
        Step(command: "ValidateProducts", service: "product", success: "ProductsValidated",
             failure: "ProductsValidationFailed"),
        Step(command: "ReserveInventory", service: "inventory", success: "InventoryReserved",
             failure: "InventoryReserveFailed", compensation: "ReleaseInventory",
             compensationSuccess: "InventoryReleased", compensationFailure: "InventoryReleaseFailed"),
        Step(command: "ProcessPayment", service: "payment", success: "PaymentCompleted", failure: "PaymentFailed",
             compensation: "RefundPayment", compensationSuccess: "PaymentRefunded",
             compensationFailure: "PaymentRefundFailed"),
        Step(command: "CompleteOrder", service: "order", success: "OrderCompleted"),
    ]

    /// How long a step may take before it counts as failed. Defaults to 30 s.
    public var stepDeadline: Duration
    /// First delay before retrying a failed compensation; doubles up to `stepDeadline`. Defaults to 1 s.
    public var compensationRetry: Duration

    /// Where a saga's end is logged (one line, with saga_id and order_id); silent unless given.
    public var logger: Logger

    public init(
        stepDeadline: Duration = .seconds(30), compensationRetry: Duration = .seconds(1),
        logger: Logger = Logger(label: "order-saga", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.stepDeadline = stepDeadline
        self.compensationRetry = compensationRetry
        self.logger = logger
    }

    public func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        if message.type == Commands.SagaCreateOrder.commandType {
            try self.start(try message.command(Commands.SagaCreateOrder.self).payload, in: &turn)
            return
        }
        if message.type == SagaTimer.messageType {
            let timer = try ShopJSON.decode(SagaTimer.self, from: message.payload)
            guard var state = try Self.load(timer.sagaID, turn.connection) else { return }
            try self.fire(timer, &state, in: &turn)
            try Self.save(state, turn.connection)
            return
        }
        guard ShopRoutes.events.contains(message.type), let sagaID = message.sagaID,
            var state = try Self.load(sagaID, turn.connection)
        else { return }  // an event of no saga of ours (or a finished one): nothing to do
        try self.react(to: message, &state, in: &turn)
        try Self.save(state, turn.connection)
    }

    // MARK: Transitions

    private func start(_ command: Commands.SagaCreateOrder, in turn: inout Turn) throws {
        let existing = try turn.connection.query("SELECT id FROM sagas WHERE order_id = $1", [command.orderID])
        guard existing.count == 0 else { return }  // the same order asked for twice: one saga
        var state = OrderSagaState(
            sagaID: UUID().uuidString.lowercased(), orderID: command.orderID, userID: command.userID,
            paymentMethodID: command.paymentMethodID, items: command.orderItems, paymentSum: 0, step: 0,
            phase: .forward, status: .running, attempt: 0, compensationRetries: 0, timeline: [])
        try turn.connection.query(
            """
            INSERT INTO sagas (id, order_id, current_step, status, payload, steps, compensating)
            VALUES ($1, $2, 0, 'running', '{}'::jsonb, '[]'::jsonb, false)
            """,
            [state.sagaID, state.orderID]
        )
        try self.run(&state, in: &turn)
        try Self.save(state, turn.connection)
    }

    private func react(to message: MailboxMessage, _ state: inout OrderSagaState, in turn: inout Turn) throws {
        guard !state.isFinished else { return }
        let step = Self.steps[state.step]
        let answers = state.phase == .forward ? [step.success, step.failure] : [step.compensationSuccess, step.compensationFailure]
        if answers.contains(message.type) {
            // The step answered: its deadline timer is moot (the next step schedules its own below).
            try turn.cancelScheduled(type: SagaTimer.messageType, sagaID: state.sagaID)
        }
        switch state.phase {
        case .forward where message.type == step.success:
            try Self.absorb(message, into: &state)
            Self.finishEntry(&state, outcome: "completed")
            state.step += 1
            try self.run(&state, in: &turn)
        case .forward where message.type == step.failure:
            Self.finishEntry(&state, outcome: "failed", detail: Self.error(in: message))
            try self.compensate(from: state.step - 1, &state, in: &turn)
        case .compensate where message.type == step.compensationSuccess:
            Self.finishEntry(&state, outcome: "completed")
            try self.compensate(from: state.step - 1, &state, in: &turn)
        case .compensate where message.type == step.compensationFailure:
            Self.finishEntry(&state, outcome: "retrying", detail: Self.error(in: message))
            state.compensationRetries += 1
            try self.schedule(.init(sagaID: state.sagaID, step: state.step, phase: .compensate,
                                    attempt: state.attempt, kind: "retry"), after: self.retryDelay(state), in: &turn)
        default:
            break  // late or duplicate: the saga has moved on
        }
    }

    private func fire(_ timer: SagaTimer, _ state: inout OrderSagaState, in turn: inout Turn) throws {
        guard !state.isFinished, timer.attempt == state.attempt, timer.step == state.step,
            timer.phase == state.phase
        else { return }  // the step answered in time
        switch state.phase {
        case .forward:
            Self.finishEntry(&state, outcome: "timed_out")
            // It may still have happened: compensate it as well.
            try self.compensate(from: state.step, &state, in: &turn)
        case .compensate:
            if timer.kind == "deadline" { Self.finishEntry(&state, outcome: "timed_out") }
            try self.send(&state, in: &turn)
        }
    }

    /// Sends the current forward step's command, or completes the saga after the last.
    private func run(_ state: inout OrderSagaState, in turn: inout Turn) throws {
        guard state.step < Self.steps.count else {
            state.status = .completed
            self.logger.info("saga completed", metadata: ["saga_id": "\(state.sagaID)", "order_id": "\(state.orderID)"])
            return
        }
        state.phase = .forward
        state.status = .running
        try self.send(&state, in: &turn)
    }

    /// Compensates steps `from`, `from - 1`, ... 0, skipping those without a compensation.
    private func compensate(from step: Int, _ state: inout OrderSagaState, in turn: inout Turn) throws {
        state.phase = .compensate
        state.status = .compensating
        state.compensationRetries = 0
        var index = step
        while index >= 0, Self.steps[index].compensation == nil {
            state.timeline.append(.init(step: index, command: "–", outcome: "skipped", startedAt: Date(), finishedAt: Date()))
            index -= 1
        }
        guard index >= 0 else {
            state.step = -1
            state.status = .compensated
            self.logger.info("saga compensated", metadata: ["saga_id": "\(state.sagaID)", "order_id": "\(state.orderID)"])
            return
        }
        state.step = index
        try self.send(&state, in: &turn)
    }

    private func send(_ state: inout OrderSagaState, in turn: inout Turn) throws {
        let step = Self.steps[state.step]
        let items = state.items
        let sagaID = state.sagaID
        switch (state.phase, state.step) {
        case (.forward, 0):
            try turn.send(Commands.CreateOrder(orderID: state.orderID, userID: state.userID,
                paymentMethodID: state.paymentMethodID,
                orderItems: items.map { Item(productID: $0.productID, quantity: $0.quantity) }), sagaID: sagaID, to: step.service)
        case (.forward, 1):
            try turn.send(Commands.ValidateProducts(orderID: state.orderID, orderItems: items), sagaID: sagaID, to: step.service)
        case (.forward, 2):
            try turn.send(Commands.ReserveInventory(orderID: state.orderID, orderItems: items), sagaID: sagaID, to: step.service)
        case (.forward, 3):
            try turn.send(Commands.ProcessPayment(orderID: state.orderID, userID: state.userID,
                paymentSum: state.paymentSum, paymentMethodID: state.paymentMethodID), sagaID: sagaID, to: step.service)
        case (.forward, _):
            try turn.send(Commands.CompleteOrder(orderID: state.orderID), sagaID: sagaID, to: step.service)
        case (.compensate, 0):
            try turn.send(Commands.CancelOrder(orderID: state.orderID), sagaID: sagaID, to: step.service)
        case (.compensate, 2):
            try turn.send(Commands.ReleaseInventory(orderID: state.orderID, orderItems: items), sagaID: sagaID, to: step.service)
        case (.compensate, _):
            try turn.send(Commands.RefundPayment(paymentID: state.paymentID ?? "", orderID: state.orderID),
                          sagaID: sagaID, to: step.service)
        }
        state.attempt += 1
        let command = state.phase == .forward ? step.command : step.compensation ?? step.command
        state.timeline.append(.init(step: state.step, command: command, outcome: "running", startedAt: Date()))
        try self.schedule(.init(sagaID: sagaID, step: state.step, phase: state.phase, attempt: state.attempt,
                                kind: "deadline"), after: self.stepDeadline, in: &turn)
    }

    private func schedule(_ timer: SagaTimer, after delay: Duration, in turn: inout Turn) throws {
        try turn.schedule(OutgoingMessage(type: SagaTimer.messageType, sagaID: timer.sagaID, payload: try ShopJSON.encode(timer)),
                          after: delay)
    }

    private func retryDelay(_ state: OrderSagaState) -> Duration {
        var delay = self.compensationRetry
        for _ in 1..<max(state.compensationRetries, 1) where delay < self.stepDeadline { delay = delay * 2 }
        return min(delay, self.stepDeadline)
    }

    // MARK: State

    private static func absorb(_ message: MailboxMessage, into state: inout OrderSagaState) throws {
        switch message.type {
        case Events.ProductsValidated.eventType:
            let validated = try message.event(Events.ProductsValidated.self).payload.orderItems
            for index in state.items.indices {
                if let known = validated.first(where: { $0.productID == state.items[index].productID }) {
                    state.items[index].name = known.name
                    state.items[index].price = known.price
                }
            }
            state.paymentSum = state.items.reduce(0) { $0 + ($1.price ?? 0) * ($1.quantity ?? 0) }
        case Events.PaymentCompleted.eventType:
            let paid = try message.event(Events.PaymentCompleted.self).payload
            state.paymentID = paid.paymentID
            state.paymentExternalID = paid.paymentExternalID
            state.paymentSum = paid.paymentSum
        default:
            break
        }
    }

    private static func finishEntry(_ state: inout OrderSagaState, outcome: String, detail: String? = nil) {
        guard let last = state.timeline.indices.last, state.timeline[last].finishedAt == nil else { return }
        state.timeline[last].outcome = outcome
        state.timeline[last].finishedAt = Date()
        state.timeline[last].detail = detail
    }

    private static func error(in message: MailboxMessage) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(message.payload.utf8)) as? [String: Any])
            .flatMap { $0["payload"] as? [String: Any] }?["error"] as? String
    }

    static func load(_ sagaID: String, _ connection: PostgresConnection) throws -> OrderSagaState? {
        guard let row = try connection.query("SELECT payload::text AS p FROM sagas WHERE id = $1 FOR UPDATE", [sagaID]).first
        else { return nil }
        return try Self.decoder.decode(OrderSagaState.self, from: Data(try row.string("p").utf8))
    }

    static func save(_ state: OrderSagaState, _ connection: PostgresConnection) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        try connection.query(
            """
            UPDATE sagas SET current_step = $2, status = $3, payload = $4::jsonb, steps = $5::jsonb,
                compensating = $6, updated_at = now() WHERE id = $1
            """,
            [state.sagaID, state.step, state.status.rawValue, String(decoding: try encoder.encode(state), as: UTF8.self),
             String(decoding: try encoder.encode(state.timeline), as: UTF8.self), state.phase == .compensate]
        )
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

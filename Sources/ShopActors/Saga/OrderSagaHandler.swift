import ActorRuntime
import Foundation
import Logging

/// The order saga as a persistent actor: its state is a `sagas` row, changed only inside mailbox turns, so after
/// a restart it continues with the next message, and its deadlines (in the row) still fire.
///
/// A delivered batch is handled set-wise: new sagas are inserted with one statement; the sagas the events are
/// about are loaded and locked with one statement, the events applied to them in memory in arrival order
/// (`OrderSaga`, a pure state machine), and the changed sagas written back with one statement. Deadlines are
/// swept from memory (`SagaDeadlines`) and run as turns of their own (`fireDeadlines`).
public struct OrderSagaHandler: MailboxHandler {
    public var configuration: OrderSaga.Configuration
    /// The due queue and counters this handler keeps current after each commit.
    public let deadlines: SagaDeadlines
    /// Where a saga's end is logged (with saga_id and order_id); silent unless given.
    public var logger: Logger

    /// The message the first version sent itself for deadlines; now ignored (deadlines live in the row).
    static let legacyTimerType = "SagaTimer"

    public init(
        stepDeadline: Duration = .seconds(30), compensationRetry: Duration = .seconds(1),
        commandDeadlines: [OrderSaga.Command: Duration] = [:],
        deadlines: SagaDeadlines = SagaDeadlines(),
        logger: Logger = Logger(label: "order-saga", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = OrderSaga.Configuration(
            stepDeadline: stepDeadline, compensationRetry: compensationRetry, deadlines: commandDeadlines)
        self.deadlines = deadlines
        self.logger = logger
    }

    public init(
        configuration: OrderSaga.Configuration, deadlines: SagaDeadlines = SagaDeadlines(),
        logger: Logger = Logger(label: "order-saga", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = configuration
        self.deadlines = deadlines
        self.logger = logger
    }

    public func handle(batch messages: [MailboxMessage], in turn: inout Turn) throws {
        var creates: [Commands.SagaCreateOrder] = []
        var events: [(sagaID: String, event: OrderSaga.Event)] = []
        for message in messages {
            switch message.type {
            case Commands.SagaCreateOrder.commandType:
                creates.append(try message.decode(Commands.SagaCreateOrder.self))
            case Self.legacyTimerType:
                continue
            default:
                // An event of no saga of ours is acknowledged and ignored.
                guard let sagaID = message.sagaID, let event = try Self.event(in: message) else { continue }
                events.append((sagaID, event))
            }
        }
        let now = Date()
        try self.start(creates, now: now, in: &turn)
        guard !events.isEmpty else { return }
        var sagas = try SagaStore.load(Array(Set(events.map(\.sagaID))), connection: turn.connection)
        for (sagaID, event) in events {
            guard var saga = sagas[sagaID] else { continue }
            let actions = OrderSaga.apply(.event(event), to: &saga.state, now: now, configuration: self.configuration)
            try self.perform(actions, saga.state, in: &turn)
            sagas[sagaID] = saga
        }
        try self.save(Array(sagas.values), now: now, in: &turn)
    }

    /// Runs the deadlines of `sagaIDs` (the sweep found them due) as one turn.
    @available(*, noasync)
    public func fireDeadlines(_ sagaIDs: [String], in turn: inout Turn) throws {
        let now = Date()
        var sagas = try SagaStore.load(sagaIDs, connection: turn.connection)
        for (sagaID, var saga) in sagas {
            let actions = OrderSaga.apply(.deadline, to: &saga.state, now: now, configuration: self.configuration)
            try self.perform(actions, saga.state, in: &turn)
            sagas[sagaID] = saga
        }
        try self.save(Array(sagas.values), now: now, in: &turn)
    }

    /// Reads every unfinished saga's deadline into memory; call before the service takes deliveries.
    public func loadDeadlines(db: PostgresClient, logger: Logger) async {
        await self.deadlines.load(client: db, logger: logger)
    }

    /// Runs due deadlines as turns of `mailbox` until cancelled.
    public func sweepDeadlines(mailbox: Mailbox, logger: Logger) async {
        await self.deadlines.sweep(logger: logger) { due in
            try await mailbox.transaction { turn in try self.fireDeadlines(due, in: &turn) }
        }
    }

    // MARK: Steps

    private func start(_ commands: [Commands.SagaCreateOrder], now: Date, in turn: inout Turn) throws {
        guard !commands.isEmpty else { return }
        var seen = Set<String>()
        var started: [(OrderSagaState, [OrderSaga.Action])] = []
        for command in commands where seen.insert(command.orderID).inserted {
            started.append(
                OrderSaga.start(
                    sagaID: OrderedUUID.make(), orderID: command.orderID, userID: command.userID,
                    paymentMethodID: command.paymentMethodID, items: command.orderItems, now: now,
                    configuration: self.configuration))
        }
        // The same order asked for twice (even in two batches): one saga.
        let inserted = try SagaStore.insert(started.map(\.0), connection: turn.connection)
        var registered: [(String, Double?)] = []
        for (state, actions) in started where inserted.contains(state.sagaID) {
            try self.perform(actions, state, in: &turn)
            registered.append((state.sagaID, state.deadline.map { $0.at.timeIntervalSince(now) }))
        }
        let deadlines = self.deadlines
        let count = registered.count
        turn.onCommit { [registered] in
            deadlines.adjustUnfinished(by: count)
            for (sagaID, remaining) in registered { deadlines.set(sagaID, remaining: remaining) }
        }
    }

    private func save(_ sagas: [SagaStore.Loaded], now: Date, in turn: inout Turn) throws {
        try SagaStore.update(sagas, connection: turn.connection)
        let deadlines = self.deadlines
        let changes = sagas.map { saga in
            (
                saga.state.sagaID, saga.state.deadline.map { $0.at.timeIntervalSince(now) },
                !saga.original.isFinished && saga.state.isFinished
            )
        }
        turn.onCommit {
            for (sagaID, remaining, finished) in changes {
                deadlines.set(sagaID, remaining: remaining)
                if finished { deadlines.adjustUnfinished(by: -1) }
            }
        }
    }

    /// Turns the machine's actions into messages.
    private func perform(_ actions: [OrderSaga.Action], _ state: OrderSagaState, in turn: inout Turn) throws {
        for action in actions {
            switch action {
            case .send(let command):
                try Self.send(command, for: state, in: &turn)
            case .finished(let status):
                let level: Logger.Level = status == .completed ? .debug : .info
                self.logger.log(
                    level: level, "saga \(status.rawValue)",
                    metadata: [
                        "saga_id": "\(state.sagaID)", "order_id": "\(state.orderID)",
                    ])
            }
        }
    }

    static func send(_ command: OrderSaga.Command, for state: OrderSagaState, in turn: inout Turn) throws {
        let sagaID = state.sagaID
        let orderID = state.orderID
        let lines = state.items.map { Item(productID: $0.productID, quantity: $0.quantity) }
        switch command {
        case .createOrder:
            try turn.send(
                Commands.CreateOrder(
                    orderID: orderID, userID: state.userID, paymentMethodID: state.paymentMethodID,
                    orderItems: lines), sagaID: sagaID)
        case .validateProducts:
            try turn.send(
                Commands.ValidateProducts(orderID: orderID, orderItems: state.items), sagaID: sagaID)
        case .reserveInventory:
            try turn.send(
                Commands.ReserveInventory(orderID: orderID, orderItems: state.items), sagaID: sagaID)
        case .processPayment:
            try turn.send(
                Commands.ProcessPayment(
                    orderID: orderID, userID: state.userID, paymentSum: state.paymentSum,
                    paymentMethodID: state.paymentMethodID), sagaID: sagaID)
        case .completeOrder:
            try turn.send(Commands.CompleteOrder(orderID: orderID), sagaID: sagaID)
        case .cancelOrder:
            try turn.send(Commands.CancelOrder(orderID: orderID), sagaID: sagaID)
        case .releaseInventory:
            try turn.send(
                Commands.ReleaseInventory(orderID: orderID, orderItems: state.items), sagaID: sagaID)
        case .refundPayment:
            try turn.send(
                Commands.RefundPayment(paymentID: state.paymentID ?? "", orderID: orderID), sagaID: sagaID)
        }
    }

    private static func paid(_ event: Events.PaymentCompleted) -> OrderSaga.Event {
        .paymentCompleted(paymentID: event.paymentID, externalID: event.paymentExternalID, sum: event.paymentSum)
    }

    /// The saga event a message carries, if it is one.
    static func event(in message: MailboxMessage) throws -> OrderSaga.Event? {
        switch message.type {
        case Events.OrderCreated.eventType: .orderCreated
        case Events.ProductsValidated.eventType:
            .productsValidated(try message.decode(Events.ProductsValidated.self).orderItems)
        case Events.ProductsValidationFailed.eventType:
            .productsValidationFailed(error: try message.decode(Events.ProductsValidationFailed.self).error)
        case Events.InventoryReserved.eventType: .inventoryReserved
        case Events.InventoryReserveFailed.eventType:
            .inventoryReserveFailed(error: try message.decode(Events.InventoryReserveFailed.self).error)
        case Events.InventoryReleased.eventType: .inventoryReleased
        case Events.InventoryReleaseFailed.eventType:
            .inventoryReleaseFailed(error: try message.decode(Events.InventoryReleaseFailed.self).error)
        case Events.PaymentCompleted.eventType: Self.paid(try message.decode(Events.PaymentCompleted.self))
        case Events.PaymentFailed.eventType: .paymentFailed(error: try message.decode(Events.PaymentFailed.self).error)
        case Events.PaymentRefunded.eventType: .paymentRefunded
        case Events.PaymentRefundFailed.eventType:
            .paymentRefundFailed(error: try message.decode(Events.PaymentRefundFailed.self).error)
        case Events.OrderCompleted.eventType: .orderCompleted
        case Events.OrderCancelled.eventType: .orderCancelled
        default: nil
        }
    }
}

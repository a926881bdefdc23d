import ActorRuntime
import Foundation

/// The order service's mailbox: `CreateOrder`, `CompleteOrder`, `CancelOrder`, handled set-wise (one statement
/// per kind of work for a whole batch).
///
/// The order id is minted by the gateway and carried by the saga, so a repeated `CreateOrder` cannot make a
/// second order. A cancelled order is never completed. A `CancelOrder` always cancels, even an order completed
/// just before: the saga sends it only once it has decided to compensate (say `CompleteOrder` answered after
/// its deadline), and by then it has refunded the payment and released the stock, so "cancelled" is the truth.
public struct OrderHandler: MailboxHandler {
    /// Test switch: `CompleteOrder` is swallowed without an answer, as if the order service hung on it, so the
    /// saga's deadline and the compensations after a payment can be exercised.
    public var ignoresCompleteOrder = false

    public init(ignoresCompleteOrder: Bool = false) {
        self.ignoresCompleteOrder = ignoresCompleteOrder
    }

    enum Work {
        case create(Commands.CreateOrder)
        case complete(String)
        case cancel(String)

        var orderID: String {
            switch self {
            case .create(let command): command.orderID
            case .complete(let id), .cancel(let id): id
            }
        }
    }

    public func handle(batch messages: [MailboxMessage], in turn: inout Turn) throws {
        var work: [(sagaID: String, work: Work)] = []
        for message in messages {
            let sagaID = message.sagaID ?? ""
            switch message.type {
            case Commands.CreateOrder.commandType:
                work.append((sagaID, .create(try message.decode(Commands.CreateOrder.self))))
            case Commands.CompleteOrder.commandType:
                let command = try message.decode(Commands.CompleteOrder.self)
                if !self.ignoresCompleteOrder { work.append((sagaID, .complete(command.orderID))) }
            case Commands.CancelOrder.commandType:
                work.append((sagaID, .cancel(try message.decode(Commands.CancelOrder.self).orderID)))
            default:
                throw UnexpectedMessage(service: "order", type: message.type)
            }
        }
        for run in segmented(work, by: \.work.orderID) {
            try self.apply(run, in: &turn)
        }
    }

    private func apply(_ run: [(sagaID: String, work: Work)], in turn: inout Turn) throws {
        var creates: [(String, Commands.CreateOrder)] = []
        var completes: [String] = []
        var cancels: [String] = []
        for (sagaID, work) in run {
            switch work {
            case .create(let command): creates.append((sagaID, command))
            case .complete(let id): completes.append(id)
            case .cancel(let id): cancels.append(id)
            }
        }
        let created = try self.create(creates.map(\.1), turn.connection)
        if !completes.isEmpty {
            try turn.connection.query(
                "UPDATE orders SET status = 'completed', updated_at = now() WHERE id = ANY($1::text[]) AND status <> 'cancelled'",
                [PostgresArray(completes)])
        }
        if !cancels.isEmpty {
            try turn.connection.query(
                "UPDATE orders SET status = 'cancelled', updated_at = now() WHERE id = ANY($1::text[])",
                [PostgresArray(cancels)])
        }
        for (sagaID, work) in run {
            switch work {
            case .create(let command):
                guard let row = created[command.orderID] else { continue }
                try turn.publish(
                    Events.OrderCreated(
                        orderID: command.orderID, userID: command.userID, paymentMethodID: command.paymentMethodID,
                        phone: "", email: "", status: row.status,
                        orderItems: command.orderItems.map { Item(productID: $0.productID, quantity: $0.quantity) },
                        createdAt: row.created, updatedAt: row.updated),
                    sagaID: sagaID)
            case .complete(let id):
                try turn.publish(Events.OrderCompleted(orderID: id, status: "completed"), sagaID: sagaID)
            case .cancel(let id):
                try turn.publish(Events.OrderCancelled(orderID: id, status: "cancelled"), sagaID: sagaID)
            }
        }
    }

    /// Inserts the new orders and their lines; the status and times of every order asked for (an order created
    /// before keeps what it had).
    private func create(_ commands: [Commands.CreateOrder], _ connection: PostgresConnection) throws
        -> [String: (status: String, created: String, updated: String)]
    {
        guard !commands.isEmpty else { return [:] }
        let shown = """
            status, \(Timestamps.rfc3339SQL("created_at")) AS created,
                   \(Timestamps.rfc3339SQL("updated_at")) AS updated
            """
        let inserted = try connection.query(
            """
            INSERT INTO orders (id, user_id, payment_method_id, status)
            SELECT i, u, m, 'created' FROM unnest($1::text[], $2::text[], $3::text[]) AS x(i, u, m)
            ON CONFLICT (id) DO NOTHING
            RETURNING id, \(shown)
            """,
            [
                PostgresArray(commands.map(\.orderID)), PostgresArray(commands.map(\.userID)),
                PostgresArray(commands.map(\.paymentMethodID)),
            ]
        )
        var rows: [String: (status: String, created: String, updated: String)] = [:]
        for row in inserted.rows {
            rows[try row.string("id")] = (
                try row.string("status"), try row.string("created"), try row.string("updated")
            )
        }
        let fresh = commands.filter { rows[$0.orderID] != nil }
        let lines = fresh.flatMap { command in command.orderItems.map { (command.orderID, $0) } }
        if !lines.isEmpty {
            try connection.query(
                """
                INSERT INTO order_items (id, order_id, product_id, quantity)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[])
                """,
                [
                    PostgresArray(lines.map { _ in OrderedUUID.make() }), PostgresArray(lines.map(\.0)),
                    PostgresArray(lines.map(\.1.productID)), PostgresIntArray(lines.map { $0.1.quantity ?? 0 }),
                ]
            )
        }
        let existing = commands.filter { rows[$0.orderID] == nil }.map(\.orderID)
        if !existing.isEmpty {
            for row in try connection.query(
                "SELECT id, \(shown) FROM orders WHERE id = ANY($1::text[])", [PostgresArray(existing)]
            ).rows {
                rows[try row.string("id")] = (
                    try row.string("status"), try row.string("created"), try row.string("updated")
                )
            }
        }
        return rows
    }
}

import ActorRuntime
import Foundation

/// The order service's mailbox: `CreateOrder`, `CompleteOrder`, `CancelOrder`.
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

    public func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        switch message.type {
        case Commands.CreateOrder.commandType:
            let envelope = try message.command(Commands.CreateOrder.self)
            try self.create(envelope.payload, sagaID: envelope.sagaID ?? "", in: &turn)
        case Commands.CompleteOrder.commandType:
            let envelope = try message.command(Commands.CompleteOrder.self)
            if self.ignoresCompleteOrder { return }
            try self.setStatus("completed", unless: "cancelled", of: envelope.payload.orderID, in: &turn)
            try turn.publish(Events.OrderCompleted(orderID: envelope.payload.orderID, status: "completed"), sagaID: envelope.sagaID ?? "")
        case Commands.CancelOrder.commandType:
            let envelope = try message.command(Commands.CancelOrder.self)
            try self.setStatus("cancelled", unless: nil, of: envelope.payload.orderID, in: &turn)
            try turn.publish(Events.OrderCancelled(orderID: envelope.payload.orderID, status: "cancelled"), sagaID: envelope.sagaID ?? "")
        default:
            throw UnexpectedMessage(service: "order", type: message.type)
        }
    }

    private func create(_ command: Commands.CreateOrder, sagaID: String, in turn: inout Turn) throws {
        let connection = turn.connection
        let inserted = try connection.query(
            """
            INSERT INTO orders (id, user_id, payment_method_id, status) VALUES ($1, $2, $3, 'created')
            ON CONFLICT (id) DO NOTHING
            """,
            [command.orderID, command.userID, command.paymentMethodID]
        ).affected == 1
        if inserted {
            for item in command.orderItems {
                try connection.query(
                    "INSERT INTO order_items (id, order_id, product_id, quantity) VALUES ($1, $2, $3, $4)",
                    [UUID().uuidString.lowercased(), command.orderID, item.productID, item.quantity ?? 0]
                )
            }
        }
        let row = try connection.query(
            """
            SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS created,
                   to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS updated, status
            FROM orders WHERE id = $1
            """,
            [command.orderID]
        ).first!
        try turn.publish(
            Events.OrderCreated(
                orderID: command.orderID, userID: command.userID, paymentMethodID: command.paymentMethodID,
                phone: "", email: "", status: try row.string("status"),
                orderItems: command.orderItems.map { Item(productID: $0.productID, quantity: $0.quantity) },
                createdAt: try row.string("created"), updatedAt: try row.string("updated")),
            sagaID: sagaID)
    }

    private func setStatus(_ status: String, unless blocked: String?, of orderID: String, in turn: inout Turn) throws {
        try turn.connection.query(
            "UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 AND ($3::text IS NULL OR status <> $3)",
            [orderID, status, blocked]
        )
    }
}

import ActorRuntime
import Foundation

/// The order-history read model (CQRS): every event updates the order's row.
///
/// Seed bugs fixed: `OrderCancelled`, `ProductsValidationFailed` and refunds are handled, so a failed order
/// ends `order_cancelled` rather than stuck in an intermediate status. A final status is never overwritten
/// by a late intermediate event. An event about an order whose `OrderCreated` has not arrived yet (they
/// come from different services) is parked in `early_events` and applied when it does: never dropped, and
/// never a retry that would hold up the messages behind it.
public struct OrderHistoryHandler: MailboxHandler {
    struct OrderNotYetKnown: Error {
        var orderID: String
    }

    public init() {}

    static let finalStatuses = ["order_completed", "order_cancelled"]

    public func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        do {
            try self.apply(message, turn.connection)
        } catch let early as OrderNotYetKnown {
            try turn.connection.query(
                """
                INSERT INTO early_events (order_id, message_id, message_type, saga_id, payload, source)
                VALUES ($1, $2, $3, $4, $5, $6)
                """,
                [early.orderID, message.id, message.type, message.sagaID, message.payload, message.source])
        }
    }

    /// Applies the events that arrived before the order's OrderCreated, in arrival order.
    private func applyEarlyEvents(_ orderID: String, _ connection: PostgresConnection) throws {
        let rows = try connection.query(
            "DELETE FROM early_events WHERE order_id = $1 RETURNING seq, message_id, message_type, saga_id, payload, source",
            [orderID])
        let parked = try rows.rows.map { row in
            (try row.int("seq"), MailboxMessage(
                id: try row.string("message_id"), type: try row.string("message_type"), sagaID: try row.optionalString("saga_id"),
                payload: try row.string("payload"), source: try row.string("source")))
        }
        for (_, message) in parked.sorted(by: { $0.0 < $1.0 }) { try self.apply(message, connection) }
    }

    private func apply(_ message: MailboxMessage, _ connection: PostgresConnection) throws {
        switch message.type {
        case Events.OrderCreated.eventType:
            let event = try message.event(Events.OrderCreated.self).payload
            let items = event.orderItems.map { Item(productID: $0.productID, quantity: $0.quantity) }
            try connection.query(
                """
                INSERT INTO order_history (id, user_id, order_items, payment_method_id, status, created_at, updated_at)
                VALUES ($1, $2, $3::jsonb, $4, 'order_created', coalesce($5::timestamptz, now()) AT TIME ZONE 'UTC',
                        now() AT TIME ZONE 'UTC')
                ON CONFLICT (id) DO NOTHING
                """,
                [event.orderID, event.userID, try ShopJSON.encode(items), event.paymentMethodID, event.createdAt]
            )
            try self.applyEarlyEvents(event.orderID, connection)
        case Events.ProductsValidated.eventType:
            let event = try message.event(Events.ProductsValidated.self).payload
            let row = try self.row(event.orderID, connection)
            var items = try ShopJSON.decode([Item].self, from: try row.string("order_items"))
            for index in items.indices {
                if let known = event.orderItems.first(where: { $0.productID == items[index].productID }) {
                    items[index].name = known.name
                    items[index].price = known.price
                }
            }
            try connection.query(
                "UPDATE order_history SET order_items = $2::jsonb WHERE id = $1", [event.orderID, try ShopJSON.encode(items)])
            try self.setStatus("products_validated", event.orderID, connection)
        case Events.PaymentCompleted.eventType:
            let event = try message.event(Events.PaymentCompleted.self).payload
            _ = try self.row(event.orderID, connection)
            try connection.query(
                """
                UPDATE order_history SET payment_id = $2, payment_external_id = $3, payment_sum = $4, payment_type = $5,
                    payment_gateway = $6, payment_status = $7 WHERE id = $1
                """,
                [event.orderID, event.paymentID, event.paymentExternalID, event.paymentSum, event.paymentType,
                 event.paymentGateway, event.paymentStatus]
            )
            try self.setStatus("payment_completed", event.orderID, connection)
        case Events.PaymentFailed.eventType:
            let event = try message.event(Events.PaymentFailed.self).payload
            _ = try self.row(event.orderID, connection)
            try connection.query(
                "UPDATE order_history SET payment_id = $2, payment_sum = $3, payment_status = $4 WHERE id = $1",
                [event.orderID, event.paymentID, event.paymentSum, event.paymentStatus])
            try self.setStatus("payment_failed", event.orderID, connection)
        case Events.PaymentRefunded.eventType:
            let event = try message.event(Events.PaymentRefunded.self).payload
            _ = try self.row(event.orderID, connection)
            try connection.query("UPDATE order_history SET payment_status = 'refunded' WHERE id = $1", [event.orderID])
            try self.setStatus("payment_refunded", event.orderID, connection)
        default:
            guard let (status, orderID) = try Self.simpleStatus(message) else { return }  // e.g. InventoryReleased
            _ = try self.row(orderID, connection)
            try self.setStatus(status, orderID, connection)
        }
    }

    /// Events whose only effect is a status.
    private static func simpleStatus(_ message: MailboxMessage) throws -> (String, String)? {
        switch message.type {
        case Events.InventoryReserved.eventType:
            ("inventory_reserved", try message.event(Events.InventoryReserved.self).payload.orderID)
        case Events.InventoryReserveFailed.eventType:
            ("inventory_reserve_failed", try message.event(Events.InventoryReserveFailed.self).payload.orderID)
        case Events.ProductsValidationFailed.eventType:
            ("products_validation_failed", try message.event(Events.ProductsValidationFailed.self).payload.orderID)
        case Events.OrderCompleted.eventType:
            ("order_completed", try message.event(Events.OrderCompleted.self).payload.orderID)
        case Events.OrderCancelled.eventType:
            ("order_cancelled", try message.event(Events.OrderCancelled.self).payload.orderID)
        default:
            nil
        }
    }

    private func row(_ orderID: String, _ connection: PostgresConnection) throws -> PostgresRow {
        guard let row = try connection.query(
            "SELECT order_items::text AS order_items, status FROM order_history WHERE id = $1 FOR UPDATE", [orderID]
        ).first else { throw OrderNotYetKnown(orderID: orderID) }
        return row
    }

    private func setStatus(_ status: String, _ orderID: String, _ connection: PostgresConnection) throws {
        // Final statuses win over late intermediate ones; a final status may follow another (cancel after fail).
        try connection.query(
            """
            UPDATE order_history SET status = $2, updated_at = now() AT TIME ZONE 'UTC'
            WHERE id = $1 AND (status <> ALL($3::text[]) OR $2 = ANY($3::text[]))
            """,
            [orderID, status, PostgresArray(Self.finalStatuses)]
        )
    }
}

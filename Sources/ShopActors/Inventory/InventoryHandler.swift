import ActorRuntime

/// The inventory service's mailbox: `ReserveInventory`, `ReleaseInventory`.
///
/// Seed bugs fixed: a reservation is all-or-nothing (a shortfall on any item undoes the others), and a
/// release gives back exactly what that order reserved, once (a release without a reservation is a
/// successful no-op, so a compensation never stalls).
public struct InventoryHandler: MailboxHandler {
    public init() {}

    public func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        switch message.type {
        case Commands.ReserveInventory.commandType:
            let envelope = try message.command(Commands.ReserveInventory.self)
            try self.reserve(envelope.payload, sagaID: envelope.sagaID ?? "", in: &turn)
        case Commands.ReleaseInventory.commandType:
            let envelope = try message.command(Commands.ReleaseInventory.self)
            try self.release(envelope.payload, sagaID: envelope.sagaID ?? "", in: &turn)
        default:
            throw UnexpectedMessage(service: "inventory", type: message.type)
        }
    }

    private func reserve(_ command: Commands.ReserveInventory, sagaID: String, in turn: inout Turn) throws {
        // One line per product: an order may name a product twice.
        var wanted: [(product: String, quantity: Int)] = []
        for item in command.orderItems {
            let quantity = item.quantity ?? 0
            if let index = wanted.firstIndex(where: { $0.product == item.productID }) {
                wanted[index].quantity += quantity
            } else {
                wanted.append((item.productID, quantity))
            }
        }
        let connection = turn.connection
        try connection.query("SAVEPOINT reserve")
        var shortfall: String?
        for line in wanted {
            guard line.quantity > 0 else {
                shortfall = "quantity of \(line.product) must be positive"
                break
            }
            let updated = try connection.query(
                """
                UPDATE inventory SET quantity = quantity - $2, updated_at = now()
                WHERE product_id = $1 AND quantity >= $2
                """,
                [line.product, line.quantity]
            ).affected
            guard updated == 1 else {
                shortfall = "not enough stock of \(line.product) for \(line.quantity)"
                break
            }
            try connection.query(
                "INSERT INTO reservations (order_id, product_id, quantity) VALUES ($1, $2, $3)",
                [command.orderID, line.product, line.quantity]
            )
        }
        if let shortfall {
            try connection.query("ROLLBACK TO SAVEPOINT reserve")
            try turn.publish(
                Events.InventoryReserveFailed(orderID: command.orderID, orderItems: command.orderItems, error: shortfall),
                sagaID: sagaID)
        } else {
            try connection.query("RELEASE SAVEPOINT reserve")
            try turn.publish(
                Events.InventoryReserved(
                    orderID: command.orderID,
                    orderItems: wanted.map { Item(productID: $0.product, quantity: $0.quantity) }),
                sagaID: sagaID)
        }
    }

    private func release(_ command: Commands.ReleaseInventory, sagaID: String, in turn: inout Turn) throws {
        let released = try turn.connection.query(
            """
            UPDATE reservations SET released = true
            WHERE order_id = $1 AND NOT released
            RETURNING product_id, quantity
            """,
            [command.orderID]
        )
        var items: [Item] = []
        for row in released.rows {
            let product = try row.string("product_id")
            let quantity = try row.int("quantity")
            try turn.connection.query(
                "UPDATE inventory SET quantity = quantity + $2, updated_at = now() WHERE product_id = $1",
                [product, quantity]
            )
            items.append(Item(productID: product, quantity: quantity))
        }
        try turn.publish(Events.InventoryReleased(orderID: command.orderID, orderItems: items), sagaID: sagaID)
    }
}

import ActorRuntime

/// The product service's mailbox: `ValidateProducts`.
///
/// Seed bug fixed: an unknown product emits `ProductsValidationFailed` (with `order_id`) instead of
/// returning an error that stalls the saga.
public struct ProductHandler: MailboxHandler {
    public init() {}

    public func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        guard message.type == Commands.ValidateProducts.commandType else {
            throw UnexpectedMessage(service: "product", type: message.type)
        }
        let envelope = try message.command(Commands.ValidateProducts.self)
        let command = envelope.payload
        let sagaID = envelope.sagaID ?? ""
        var validated: [Item] = []
        for item in command.orderItems {
            guard let row = try turn.connection.query(
                "SELECT name, price FROM products WHERE id = $1", [item.productID]
            ).first else {
                try turn.publish(
                    Events.ProductsValidationFailed(
                        orderID: command.orderID, orderItems: command.orderItems,
                        error: "unknown product \(item.productID)"),
                    sagaID: sagaID)
                return
            }
            validated.append(Item(productID: item.productID, name: try row.string("name"), price: try row.int("price")))
        }
        try turn.publish(Events.ProductsValidated(orderID: command.orderID, orderItems: validated), sagaID: sagaID)
    }
}

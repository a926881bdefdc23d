import ActorRuntime

/// The product service's mailbox: `ValidateProducts`, a whole batch with one query.
///
/// Seed bug fixed: an unknown product emits `ProductsValidationFailed` (with `order_id`) instead of
/// returning an error that stalls the saga.
public struct ProductHandler: MailboxHandler {
    public init() {}

    public func handle(batch messages: [MailboxMessage], in turn: inout Turn) throws {
        var commands: [(sagaID: String, command: Commands.ValidateProducts)] = []
        for message in messages {
            guard message.type == Commands.ValidateProducts.commandType else {
                throw UnexpectedMessage(service: "product", type: message.type)
            }
            commands.append((message.sagaID ?? "", try message.decode(Commands.ValidateProducts.self)))
        }
        let ids = Set(commands.flatMap { $0.command.orderItems.map(\.productID) })
        var known: [String: (name: String, price: Int)] = [:]
        if !ids.isEmpty {
            for row in try turn.connection.query(
                "SELECT id, name, price FROM products WHERE id = ANY($1::text[])", [PostgresArray(Array(ids))]
            ).rows {
                known[try row.string("id")] = (try row.string("name"), try row.int("price"))
            }
        }
        for (sagaID, command) in commands {
            if let unknown = command.orderItems.first(where: { known[$0.productID] == nil }) {
                try turn.publish(
                    Events.ProductsValidationFailed(
                        orderID: command.orderID, orderItems: command.orderItems,
                        error: "unknown product \(unknown.productID)"),
                    sagaID: sagaID)
                continue
            }
            let validated = command.orderItems.map { item in
                Item(productID: item.productID, name: known[item.productID]?.name, price: known[item.productID]?.price)
            }
            try turn.publish(Events.ProductsValidated(orderID: command.orderID, orderItems: validated), sagaID: sagaID)
        }
    }
}

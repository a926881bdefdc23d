import ActorRuntime

/// The inventory service's mailbox: `ReserveInventory`, `ReleaseInventory`, handled set-wise.
///
/// Seed bugs fixed: a reservation is all-or-nothing per order (a shortfall on any item undoes the others), and a
/// release gives back exactly what that order reserved, once (a release without a reservation is a successful
/// no-op, so a compensation never stalls). A repeated reservation for an order answers what it reserved then.
///
/// A batch of reservations is one statement for the reservation rows and one for the stock (the demand of all
/// its orders, per product). Only when some product falls short is the batch split: the orders that do not
/// touch a short product go on together, the others one by one, each all-or-nothing, in the same transaction.
public struct InventoryHandler: MailboxHandler {
    public init() {}

    enum Work {
        case reserve(Commands.ReserveInventory)
        case release(Commands.ReleaseInventory)

        var orderID: String {
            switch self {
            case .reserve(let command): command.orderID
            case .release(let command): command.orderID
            }
        }
    }

    /// One order's reservation: the lines (one per product) and who asked.
    struct Reservation {
        var sagaID: String
        var command: Commands.ReserveInventory
        var lines: [(product: String, quantity: Int)]
    }

    public func handle(batch messages: [MailboxMessage], in turn: inout Turn) throws {
        var work: [(sagaID: String, work: Work)] = []
        for message in messages {
            switch message.type {
            case Commands.ReserveInventory.commandType:
                work.append((message.sagaID ?? "", .reserve(try message.decode(Commands.ReserveInventory.self))))
            case Commands.ReleaseInventory.commandType:
                work.append((message.sagaID ?? "", .release(try message.decode(Commands.ReleaseInventory.self))))
            default:
                throw UnexpectedMessage(service: "inventory", type: message.type)
            }
        }
        for run in segmented(work, by: \.work.orderID) {
            // Releases first: the stock they give back can serve the reservations of the same run.
            try self.release(
                run.compactMap { if case .release(let c) = $0.work { ($0.sagaID, c) } else { nil } }, in: &turn)
            var reservations: [Reservation] = []
            for (sagaID, work) in run {
                guard case .reserve(let command) = work else { continue }
                reservations.append(
                    Reservation(sagaID: sagaID, command: command, lines: Self.lines(command.orderItems)))
            }
            try self.reserve(reservations, in: &turn)
        }
    }

    /// One line per product: an order may name a product twice.
    static func lines(_ items: [Item]) -> [(product: String, quantity: Int)] {
        var lines: [(product: String, quantity: Int)] = []
        for item in items {
            if let index = lines.firstIndex(where: { $0.product == item.productID }) {
                lines[index].quantity += item.quantity ?? 0
            } else {
                lines.append((item.productID, item.quantity ?? 0))
            }
        }
        return lines
    }

    private func reserve(_ reservations: [Reservation], in turn: inout Turn) throws {
        var valid: [Reservation] = []
        for reservation in reservations {
            if let bad = reservation.lines.first(where: { $0.quantity <= 0 }) {
                try Self.publishFailure(reservation, "quantity of \(bad.product) must be positive", in: &turn)
            } else {
                valid.append(reservation)
            }
        }
        try self.reserveTogether(valid, in: &turn)
    }

    /// Tries `reservations` as one; if a product falls short, splits them (see the type's documentation).
    private func reserveTogether(_ reservations: [Reservation], in turn: inout Turn) throws {
        guard !reservations.isEmpty else { return }
        let connection = turn.connection
        try connection.query("SAVEPOINT reserve")
        // Reservation rows first: an order that already has them (a repeated command) adds no demand.
        let inserted = try connection.query(
            """
            INSERT INTO reservations (order_id, product_id, quantity)
            SELECT * FROM unnest($1::text[], $2::text[], $3::int[]) ON CONFLICT DO NOTHING
            RETURNING order_id, product_id, quantity
            """,
            [
                PostgresArray(reservations.flatMap { r in r.lines.map { _ in r.command.orderID } }),
                PostgresArray(reservations.flatMap { $0.lines.map(\.product) }),
                PostgresIntArray(reservations.flatMap { $0.lines.map(\.quantity) }),
            ]
        )
        var demand: [String: Int] = [:]
        var fresh = Set<String>()
        for row in inserted.rows {
            demand[try row.string("product_id"), default: 0] += try row.int("quantity")
            fresh.insert(try row.string("order_id"))
        }
        var short = Set<String>()
        if !demand.isEmpty {
            let products = Array(demand.keys)
            let taken = Set(
                try connection.query(
                    """
                    UPDATE inventory i SET quantity = i.quantity - d.q, updated_at = now()
                    FROM unnest($1::text[], $2::int[]) AS d(p, q)
                    WHERE i.product_id = d.p AND i.quantity >= d.q
                    RETURNING i.product_id
                    """,
                    [PostgresArray(products), PostgresIntArray(products.map { demand[$0]! })]
                ).rows.map { try $0.string("product_id") })
            short = Set(products).subtracting(taken)
        }
        guard !short.isEmpty else {
            try connection.query("RELEASE SAVEPOINT reserve")
            for reservation in reservations {
                // A repeated command (no fresh rows) answers with the lines asked for, which are what it reserved.
                try turn.publish(
                    Events.InventoryReserved(
                        orderID: reservation.command.orderID,
                        orderItems: reservation.lines.map { Item(productID: $0.product, quantity: $0.quantity) }),
                    sagaID: reservation.sagaID)
            }
            return
        }
        try connection.query("ROLLBACK TO SAVEPOINT reserve")
        try connection.query("RELEASE SAVEPOINT reserve")
        if reservations.count == 1, let reservation = reservations.first {
            let line = reservation.lines.first { short.contains($0.product) }!
            try Self.publishFailure(reservation, "not enough stock of \(line.product) for \(line.quantity)", in: &turn)
            return
        }
        let touchesShort = { (reservation: Reservation) in reservation.lines.contains { short.contains($0.product) } }
        try self.reserveTogether(reservations.filter { !touchesShort($0) }, in: &turn)
        for reservation in reservations where touchesShort(reservation) {
            try self.reserveTogether([reservation], in: &turn)
        }
    }

    private static func publishFailure(_ reservation: Reservation, _ error: String, in turn: inout Turn) throws {
        try turn.publish(
            Events.InventoryReserveFailed(
                orderID: reservation.command.orderID, orderItems: reservation.command.orderItems, error: error),
            sagaID: reservation.sagaID)
    }

    private func release(_ commands: [(sagaID: String, command: Commands.ReleaseInventory)], in turn: inout Turn) throws
    {
        guard !commands.isEmpty else { return }
        let released = try turn.connection.query(
            """
            UPDATE reservations SET released = true
            WHERE order_id = ANY($1::text[]) AND NOT released
            RETURNING order_id, product_id, quantity
            """,
            [PostgresArray(commands.map(\.command.orderID))]
        )
        var returned: [String: Int] = [:]
        var items: [String: [Item]] = [:]
        for row in released.rows {
            let product = try row.string("product_id")
            let quantity = try row.int("quantity")
            returned[product, default: 0] += quantity
            items[try row.string("order_id"), default: []].append(Item(productID: product, quantity: quantity))
        }
        if !returned.isEmpty {
            let products = Array(returned.keys)
            try turn.connection.query(
                """
                UPDATE inventory i SET quantity = i.quantity + d.q, updated_at = now()
                FROM unnest($1::text[], $2::int[]) AS d(p, q) WHERE i.product_id = d.p
                """,
                [PostgresArray(products), PostgresIntArray(products.map { returned[$0]! })]
            )
        }
        for (sagaID, command) in commands {
            try turn.publish(
                Events.InventoryReleased(orderID: command.orderID, orderItems: items[command.orderID] ?? []),
                sagaID: sagaID)
        }
    }
}

import ActorRuntime
import Foundation

/// The order-history read model (CQRS): every event updates the order's row. A delivered batch is handled
/// set-wise: the orders it is about are locked, new ones inserted, the rows loaded with one statement, the
/// events applied in memory in arrival order, and the changed rows written back with one statement.
///
/// Seed bugs fixed: `OrderCancelled`, `ProductsValidationFailed` and refunds are handled, so a failed order
/// ends `order_cancelled` rather than stuck in an intermediate status. A final status is never overwritten
/// by a late intermediate event. An event about an order whose `OrderCreated` has not arrived yet (they
/// come from different services) is parked in `early_events` and applied when it does: never dropped, and
/// never a retry that would hold up the messages behind it. Parking and creating take the same per-order
/// lock, so an early event and its `OrderCreated` committing at the same time cannot miss each other.
public struct OrderHistoryHandler: MailboxHandler {
    public init() {}

    static let finalStatuses = Set(HistoryStatus.allCases.filter(\.isFinal).map(\.rawValue))

    /// What an event does to its order's row.
    enum Change {
        case created(Events.OrderCreated)
        case validated([Item])
        case paid(Events.PaymentCompleted)
        case paymentFailed(Events.PaymentFailed)
        case refunded
        case status(HistoryStatus)
    }

    struct Row {
        var userID: String
        /// The status as loaded: the counts move from it to `status` when the row is saved.
        var loadedStatus: String
        var itemsJSON: String
        var paymentID: String?
        var paymentExternalID: String?
        var paymentSum: Int?
        var paymentType: String?
        var paymentGateway: String?
        var paymentStatus: String?
        var status: String
        var changed = false
    }

    public func handle(batch messages: [MailboxMessage], in turn: inout Turn) throws {
        var changes: [(message: MailboxMessage, orderID: String, change: Change)] = []
        for message in messages {
            if let (orderID, change) = try Self.change(message) { changes.append((message, orderID, change)) }
        }
        guard !changes.isEmpty else { return }
        let connection = turn.connection
        let ids = Array(Set(changes.map(\.orderID)))
        // In key order, so that two turns never wait on each other's locks in a cycle.
        try connection.query(
            "SELECT pg_advisory_xact_lock(k) FROM (SELECT DISTINCT hashtextextended(i, 7) AS k FROM unnest($1::text[]) AS i ORDER BY 1) AS l",
            [PostgresArray(ids)])
        var created: [String] = []
        let creates = changes.compactMap { if case .created(let event) = $0.change { event } else { nil } }
        if !creates.isEmpty {
            created = try connection.query(
                """
                INSERT INTO order_history (id, user_id, order_items, payment_method_id, status, created_at, updated_at)
                SELECT i, u, it::jsonb, m, 'order_created', coalesce(c::timestamptz, now()) AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC'
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS x(i, u, it, m, c)
                ON CONFLICT (id) DO NOTHING
                RETURNING id
                """,
                [
                    PostgresArray(creates.map(\.orderID)), PostgresArray(creates.map(\.userID)),
                    PostgresArray(
                        creates.map {
                            ItemsJSON.encode($0.orderItems.map { Item(productID: $0.productID, quantity: $0.quantity) })
                        }),
                    PostgresArray(creates.map(\.paymentMethodID)),
                    PostgresArray(creates.map { $0.createdAt.isEmpty ? nil : $0.createdAt }),
                ]
            ).rows.map { try $0.string("id") }
        }
        var rows = try Self.load(ids, connection)
        // Events parked before their OrderCreated: applied first, in the order they arrived.
        var pending: [(MailboxMessage, String, Change)] = []
        if !created.isEmpty {
            let parked = try connection.query(
                """
                DELETE FROM early_events WHERE order_id = ANY($1::text[])
                RETURNING seq, order_id, message_id, message_type, saga_id, payload, source
                """,
                [PostgresArray(created)])
            for row in parked.rows.sorted(by: { (try? $0.int("seq")) ?? 0 < (try? $1.int("seq")) ?? 0 }) {
                let message = MailboxMessage(
                    id: try row.string("message_id"), type: try row.string("message_type"),
                    sagaID: try row.optionalString("saga_id"),
                    payload: try row.bytes("payload"), source: try row.string("source"))
                if let (orderID, change) = try Self.change(message) { pending.append((message, orderID, change)) }
            }
        }
        var park: [(MailboxMessage, String)] = []
        for (message, orderID, change) in pending + changes.map({ ($0.message, $0.orderID, $0.change) }) {
            if case .created = change { continue }  // the insert above did it
            guard var row = rows[orderID] else {
                park.append((message, orderID))
                continue
            }
            try Self.apply(change, to: &row)
            rows[orderID] = row
        }
        let changed = rows.filter(\.value.changed)
        try Self.save(changed, connection)
        // Per user and status: +1 for each order created here, and each status change moves one.
        var counts: [String: [String: Int]] = [:]
        let createdUsers = Dictionary(creates.map { ($0.orderID, $0.userID) }, uniquingKeysWith: { first, _ in first })
        for id in created {
            if let user = createdUsers[id] {
                counts[user, default: [:]][HistoryStatus.orderCreated.rawValue, default: 0] += 1
            }
        }
        for row in changed.values where row.status != row.loadedStatus {
            counts[row.userID, default: [:]][row.loadedStatus, default: 0] -= 1
            counts[row.userID, default: [:]][row.status, default: 0] += 1
        }
        try Self.count(counts, connection)
        if !park.isEmpty {
            let payloads = Packed(park.map(\.0.payload))
            try connection.query(
                """
                INSERT INTO early_events (order_id, message_id, message_type, saga_id, source, payload)
                SELECT o, m, t, s, src, substring($6::bytea FROM po FOR pl)
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $7::int[], $8::int[])
                    AS x(o, m, t, s, src, po, pl)
                """,
                [
                    PostgresArray(park.map(\.1)), PostgresArray(park.map(\.0.id)), PostgresArray(park.map(\.0.type)),
                    PostgresArray(park.map(\.0.sagaID)), PostgresArray(park.map(\.0.source)),
                    PostgresBytes(payloads.bytes),
                    PostgresIntArray(payloads.offsets), PostgresIntArray(payloads.lengths),
                ])
        }
    }

    /// The order an event is about and what it changes; nil for events that change nothing here.
    static func change(_ message: MailboxMessage) throws -> (String, Change)? {
        switch message.type {
        case Events.OrderCreated.eventType:
            let event = try message.decode(Events.OrderCreated.self)
            return (event.orderID, .created(event))
        case Events.ProductsValidated.eventType:
            let event = try message.decode(Events.ProductsValidated.self)
            return (event.orderID, .validated(event.orderItems))
        case Events.PaymentCompleted.eventType:
            let event = try message.decode(Events.PaymentCompleted.self)
            return (event.orderID, .paid(event))
        case Events.PaymentFailed.eventType:
            let event = try message.decode(Events.PaymentFailed.self)
            return (event.orderID, .paymentFailed(event))
        case Events.PaymentRefunded.eventType:
            return (try message.decode(Events.PaymentRefunded.self).orderID, .refunded)
        case Events.InventoryReserved.eventType:
            return (try message.decode(Events.InventoryReserved.self).orderID, .status(.inventoryReserved))
        case Events.InventoryReserveFailed.eventType:
            return (try message.decode(Events.InventoryReserveFailed.self).orderID, .status(.inventoryReserveFailed))
        case Events.ProductsValidationFailed.eventType:
            return (
                try message.decode(Events.ProductsValidationFailed.self).orderID, .status(.productsValidationFailed)
            )
        case Events.OrderCompleted.eventType:
            return (try message.decode(Events.OrderCompleted.self).orderID, .status(.orderCompleted))
        case Events.OrderCancelled.eventType:
            return (try message.decode(Events.OrderCancelled.self).orderID, .status(.orderCancelled))
        default:
            return nil  // e.g. InventoryReleased: nothing to show
        }
    }

    static func apply(_ change: Change, to row: inout Row) throws {
        switch change {
        case .created:
            return
        case .validated(let validated):
            var items = try ItemsJSON.decode(row.itemsJSON)
            for index in items.indices {
                if let known = validated.first(where: { $0.productID == items[index].productID }) {
                    items[index].name = known.name
                    items[index].price = known.price
                }
            }
            row.itemsJSON = ItemsJSON.encode(items)
            Self.setStatus(.productsValidated, &row)
        case .paid(let event):
            // A payment already refunded stays refunded (a late or replayed PaymentCompleted changes nothing).
            guard row.paymentStatus != "refunded" else { return }
            row.paymentID = event.paymentID
            row.paymentExternalID = event.paymentExternalID
            row.paymentSum = event.paymentSum
            row.paymentType = event.paymentType
            row.paymentGateway = event.paymentGateway
            row.paymentStatus = event.paymentStatus
            Self.setStatus(.paymentCompleted, &row)
        case .paymentFailed(let event):
            row.paymentID = event.paymentID
            row.paymentSum = event.paymentSum
            row.paymentStatus = event.paymentStatus
            Self.setStatus(.paymentFailed, &row)
        case .refunded:
            row.paymentStatus = "refunded"
            Self.setStatus(.paymentRefunded, &row)
        case .status(let status):
            Self.setStatus(status, &row)
        }
        row.changed = true
    }

    /// Final statuses win over late intermediate ones. `order_cancelled` is for ever: a late or replayed
    /// `OrderCompleted` never reopens a cancelled order. `order_completed` may still become `order_cancelled`:
    /// the saga compensates an order whose `CompleteOrder` answered after its deadline, and that is the truth.
    static func setStatus(_ status: HistoryStatus, _ row: inout Row) {
        if row.status == HistoryStatus.orderCancelled.rawValue { return }
        if !Self.finalStatuses.contains(row.status) || status.isFinal { row.status = status.rawValue }
    }

    private static func load(_ ids: [String], _ connection: PostgresConnection) throws -> [String: Row] {
        var rows: [String: Row] = [:]
        for row in try connection.query(
            """
            SELECT id, user_id, order_items::text AS items, payment_id, payment_external_id, payment_sum, payment_type, payment_gateway,
                payment_status, status
            FROM order_history WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE
            """,
            [PostgresArray(ids)]
        ).rows {
            let status = try row.string("status")
            rows[try row.string("id")] = Row(
                userID: try row.string("user_id"), loadedStatus: status, itemsJSON: try row.string("items"),
                paymentID: try row.optionalString("payment_id"),
                paymentExternalID: try row.optionalString("payment_external_id"),
                paymentSum: try row.optionalInt("payment_sum"),
                paymentType: try row.optionalString("payment_type"),
                paymentGateway: try row.optionalString("payment_gateway"),
                paymentStatus: try row.optionalString("payment_status"), status: status)
        }
        return rows
    }

    /// Adds `counts` (user → status → change) to `order_counts` with one statement, in key order (so that two
    /// turns never wait on each other in a cycle).
    private static func count(_ counts: [String: [String: Int]], _ connection: PostgresConnection) throws {
        let changes = counts.flatMap { user, statuses in
            statuses.filter { $0.value != 0 }.map { (user, $0.key, $0.value) }
        }
        .sorted { ($0.0, $0.1) < ($1.0, $1.1) }
        guard !changes.isEmpty else { return }
        try connection.query(
            """
            INSERT INTO order_counts (user_id, status, n)
            SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[])
            ON CONFLICT (user_id, status) DO UPDATE SET n = order_counts.n + EXCLUDED.n
            """,
            [PostgresArray(changes.map(\.0)), PostgresArray(changes.map(\.1)), PostgresIntArray(changes.map(\.2))])
    }

    private static func save(_ rows: [String: Row], _ connection: PostgresConnection) throws {
        guard !rows.isEmpty else { return }
        let ids = Array(rows.keys)
        let values = ids.map { rows[$0]! }
        try connection.query(
            """
            UPDATE order_history h SET order_items = x.it::jsonb, payment_id = x.pi, payment_external_id = x.pe, payment_sum = x.ps,
                payment_type = x.pt, payment_gateway = x.pg, payment_status = x.pst, status = x.st,
                updated_at = now() AT TIME ZONE 'UTC'
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[])
                AS x(i, it, pi, pe, ps, pt, pg, pst, st)
            WHERE h.id = x.i
            """,
            [
                PostgresArray(ids), PostgresArray(values.map(\.itemsJSON)), PostgresArray(values.map(\.paymentID)),
                PostgresArray(values.map(\.paymentExternalID)),
                PostgresArray(values.map { $0.paymentSum.map(String.init) }),
                PostgresArray(values.map(\.paymentType)), PostgresArray(values.map(\.paymentGateway)),
                PostgresArray(values.map(\.paymentStatus)), PostgresArray(values.map(\.status)),
            ])
    }
}

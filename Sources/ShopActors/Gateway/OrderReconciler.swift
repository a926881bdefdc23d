import ActorRuntime
import Foundation
import Logging
import Synchronization

/// Makes sure every order the gateway accepted ends somewhere visible. Periodically it takes the orders
/// accepted more than `stuckAfter` ago whose saga it has not yet seen, asks the saga service which of them
/// have one (those are confirmed and never looked at again), and looks into the rest through its own outbox:
/// - `SagaCreateOrder` still queued: stuck (the saga service is unreachable); shown with its age and reason;
/// - `SagaCreateOrder` a dead letter: the saga can never start; the order is resolved as rejected, with the
///   error, and that dead letter is never replayed (`GatewayMailboxHandler`);
/// - neither (delivered, yet no saga): sent again; sagas start once per order, so a late original is harmless.
final class OrderReconciler: Sendable {
    struct Summary: Sendable {
        var stuck = 0
        var oldestSeconds = 0.0
        var reason: String?
        var resolved = 0
    }

    private let summary = Mutex(Summary())
    private let db: PostgresClient
    private let mailbox: Mailbox
    private let backends: Backends
    private let stuckAfter: Duration
    private let logger: Logger

    init(db: PostgresClient, mailbox: Mailbox, backends: Backends, stuckAfter: Duration, logger: Logger) {
        self.db = db
        self.mailbox = mailbox
        self.backends = backends
        self.stuckAfter = stuckAfter
        self.logger = logger
    }

    var current: Summary { self.summary.withLock { $0 } }

    /// Most orders one look takes; a full look is followed by the next page at once.
    static let batch = 5000

    /// What one page of unconfirmed orders came to.
    struct Page {
        var count = 0
        var last: (createdAt: String, id: String)?
        var stuck: [(id: String, age: Double, reason: String)] = []
        var resolved = 0
    }

    /// Looks at the unconfirmed orders past `stuckAfter`, page by page (at most 20 pages a run), and
    /// publishes what it found.
    func run() async throws {
        var total = Page()
        var after: (createdAt: String, id: String)?
        for _ in 0..<20 {
            let page = try await self.reconcile(after: after)
            total.stuck += page.stuck
            total.resolved += page.resolved
            guard page.count == Self.batch, let last = page.last else { break }
            after = last
        }
        self.summary.withLock { summary in
            summary.resolved += total.resolved
            summary.stuck = total.stuck.count
            summary.oldestSeconds = total.stuck.map(\.age).max() ?? 0
            summary.reason = total.stuck.max { $0.age < $1.age }?.reason
        }
    }

    /// One page of the unconfirmed orders, oldest first, after `after`.
    func reconcile(after: (createdAt: String, id: String)? = nil) async throws -> Page {
        let candidates = try await self.db.query(
            """
            SELECT id, created_at::text AS position, extract(epoch FROM now() - created_at)::float8 AS age FROM orders
            WHERE NOT saga_seen AND resolution IS NULL AND created_at < now() - $1::float8 * interval '1 second'
                AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::text))
            ORDER BY created_at, id LIMIT $2
            """,
            [self.stuckAfter.seconds, Self.batch, after?.createdAt, after?.id]
        ).rows.map { (id: try $0.string("id"), position: try $0.string("position"), age: try $0.double("age")) }
        var page = Page(count: candidates.count, last: candidates.last.map { ($0.position, $0.id) })
        guard !candidates.isEmpty else { return page }
        let started: Set<String>
        do {
            started = Set(
                try await self.backends.call("order-saga") {
                    try await self.backends.sagas().startedOrders(candidates.map(\.id))
                })
        } catch {
            page.stuck = candidates.map { ($0.id, $0.age, "the saga service cannot be asked (\(error))") }
            return page
        }
        if !started.isEmpty {
            try await self.db.query(
                "UPDATE orders SET saga_seen = true WHERE id = ANY($1::text[])", [PostgresArray(Array(started))])
        }
        let missing = candidates.filter { !started.contains($0.id) }
        guard !missing.isEmpty else { return page }
        // What became of their SagaCreateOrder messages (few rows: only undelivered ones stay in the outbox).
        var queued: [String: (outboxID: Int64, status: Int, error: String?)] = [:]
        for row in try await self.db.query(
            "SELECT id, status, last_error, payload FROM outbox WHERE message_type = $1 AND status IN (0, 2)",
            [Commands.SagaCreateOrder.commandType]
        ).rows {
            guard let command = Commands.SagaCreateOrder.fromOutbox(payload: try row.bytes("payload")) else { continue }
            queued[command.orderID] = (
                Int64(try row.int("id")), try row.int("status"), try row.optionalString("last_error")
            )
        }
        var rejected: [(order: String, outboxID: Int64, reason: String)] = []
        var resend: [String] = []
        for order in missing {
            switch queued[order.id] {
            case let (outboxID, 2, error)?:
                rejected.append(
                    (order.id, outboxID, "rejected: the saga could not start (\(error ?? "unknown error"))"))
            case (_, _, let error)?:
                page.stuck.append(
                    (order.id, order.age, "SagaCreateOrder not delivered yet" + (error.map { " (\($0))" } ?? "")))
            case nil:
                resend.append(order.id)
                page.stuck.append((order.id, order.age, "no saga and no queued SagaCreateOrder: sent again"))
            }
        }
        if !rejected.isEmpty {
            let rejected = rejected
            // Only while the dead letter is still dead, under its row lock: an operator's replay (which takes the
            // same lock) either came first, and the order is left alone, or comes after, and is refused.
            let resolved = try await self.db.transaction { connection -> [String] in
                let stillDead = Set(
                    try connection.query(
                        "SELECT id FROM outbox WHERE id = ANY($1::bigint[]) AND status = 2 FOR UPDATE",
                        [PostgresIntArray(rejected.map { Int($0.outboxID) })]
                    ).rows.map { Int64(try $0.int("id")) })
                let decided = rejected.filter { stillDead.contains($0.outboxID) }
                guard !decided.isEmpty else { return [] }
                return try connection.query(
                    """
                    UPDATE orders o SET resolution = x.r, resolved_at = now()
                    FROM unnest($1::text[], $2::text[]) AS x(i, r) WHERE o.id = x.i AND o.resolution IS NULL
                    RETURNING o.id
                    """,
                    [PostgresArray(decided.map(\.order)), PostgresArray(decided.map(\.reason))]
                ).rows.map { try $0.string("id") }
            }
            for id in resolved {
                self.logger.warning("order resolved: its saga could not start", metadata: ["order_id": "\(id)"])
            }
            page.resolved = resolved.count
        }
        if !resend.isEmpty { try await self.resend(resend) }
        return page
    }

    /// Queues `SagaCreateOrder` again for orders whose message was delivered but whose saga does not exist.
    private func resend(_ orderIDs: [String]) async throws {
        let rows = try await self.db.query(
            "SELECT id, user_id, request::text AS request FROM orders WHERE id = ANY($1::text[])",
            [PostgresArray(orderIDs)])
        let commands = try rows.rows.map { row -> Commands.SagaCreateOrder in
            let request = try ShopJSON.decode(OrderRequest.self, from: try row.string("request"))
            return Commands.SagaCreateOrder(
                orderID: try row.string("id"), userID: try row.string("user_id"),
                paymentMethodID: request.paymentMethodID,
                orderItems: request.orderItems.map { Item(productID: $0.productID, quantity: $0.quantity) })
        }
        try await self.mailbox.transaction { turn in
            for command in commands { try turn.send(command, sagaID: nil) }
        }
        self.logger.warning("SagaCreateOrder sent again", metadata: ["orders": "\(orderIDs.count)"])
    }
}

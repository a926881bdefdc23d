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

    /// Most orders one look takes; a full look is followed by another at once.
    static let batch = 5000

    /// Looks until the unconfirmed orders past `stuckAfter` are all accounted for (at most 20 batches a run).
    func run() async throws {
        for _ in 0..<20 where try await self.reconcile() == Self.batch {}
    }

    /// One look at (up to `batch` of) the unconfirmed orders; how many it took.
    @discardableResult
    func reconcile() async throws -> Int {
        let candidates = try await self.db.query(
            """
            SELECT id, extract(epoch FROM now() - created_at)::float8 AS age FROM orders
            WHERE NOT saga_seen AND resolution IS NULL AND created_at < now() - $1::float8 * interval '1 second'
            ORDER BY created_at LIMIT $2
            """,
            [self.stuckAfter.seconds, Self.batch]
        ).rows.map { (id: try $0.string("id"), age: try $0.double("age")) }
        guard !candidates.isEmpty else {
            self.summary.withLock { $0.stuck = 0; $0.oldestSeconds = 0; $0.reason = nil }
            return 0
        }
        let started: Set<String>
        do {
            started = Set(try await self.backends.call("order-saga") {
                try await self.backends.sagas().startedOrders(candidates.map(\.id))
            })
        } catch {
            self.summary.withLock {
                $0.stuck = candidates.count
                $0.oldestSeconds = candidates.first?.age ?? 0
                $0.reason = "the saga service cannot be asked (\(error))"
            }
            return 0
        }
        if !started.isEmpty {
            try await self.db.query("UPDATE orders SET saga_seen = true WHERE id = ANY($1::text[])", [PostgresArray(Array(started))])
        }
        let missing = candidates.filter { !started.contains($0.id) }
        guard !missing.isEmpty else {
            self.summary.withLock { $0.stuck = 0; $0.oldestSeconds = 0; $0.reason = nil }
            return candidates.count
        }
        // What became of their SagaCreateOrder messages (few rows: only undelivered ones stay in the outbox).
        var queued: [String: (status: Int, error: String?)] = [:]
        for row in try await self.db.query(
            "SELECT status, last_error, payload FROM outbox WHERE message_type = $1 AND status IN (0, 2)",
            [Commands.SagaCreateOrder.commandType]
        ).rows {
            let message = MailboxMessage(id: "", type: Commands.SagaCreateOrder.commandType, sagaID: nil, payload: try row.bytes("payload"), source: "gateway")
            guard let command = try? message.decode(Commands.SagaCreateOrder.self) else { continue }
            queued[command.orderID] = (try row.int("status"), try row.optionalString("last_error"))
        }
        var rejected: [(String, String)] = []
        var resend: [String] = []
        var stuck: [(id: String, age: Double, reason: String)] = []
        for order in missing {
            switch queued[order.id] {
            case (2, let error)?:
                rejected.append((order.id, "rejected: the saga could not start (\(error ?? "unknown error"))"))
            case (_, let error)?:
                stuck.append((order.id, order.age, "SagaCreateOrder not delivered yet" + (error.map { " (\($0))" } ?? "")))
            case nil:
                resend.append(order.id)
                stuck.append((order.id, order.age, "no saga and no queued SagaCreateOrder: sent again"))
            }
        }
        if !rejected.isEmpty {
            try await self.db.query(
                """
                UPDATE orders o SET resolution = x.r, resolved_at = now()
                FROM unnest($1::text[], $2::text[]) AS x(i, r) WHERE o.id = x.i AND o.resolution IS NULL
                """,
                [PostgresArray(rejected.map(\.0)), PostgresArray(rejected.map(\.1))])
            for (id, reason) in rejected { self.logger.warning("order resolved", metadata: ["order_id": "\(id)", "resolution": "\(reason)"]) }
        }
        if !resend.isEmpty { try await self.resend(resend) }
        self.summary.withLock { summary in
            summary.resolved += rejected.count
            summary.stuck = stuck.count
            summary.oldestSeconds = stuck.map(\.age).max() ?? 0
            summary.reason = stuck.max { $0.age < $1.age }?.reason
        }
        return candidates.count
    }

    /// Queues `SagaCreateOrder` again for orders whose message was delivered but whose saga does not exist.
    private func resend(_ orderIDs: [String]) async throws {
        let rows = try await self.db.query(
            "SELECT id, user_id, request::text AS request FROM orders WHERE id = ANY($1::text[])", [PostgresArray(orderIDs)])
        let commands = try rows.rows.map { row -> Commands.SagaCreateOrder in
            let request = try ShopJSON.decode(OrderRequest.self, from: try row.string("request"))
            return Commands.SagaCreateOrder(
                orderID: try row.string("id"), userID: try row.string("user_id"), paymentMethodID: request.paymentMethodID,
                orderItems: request.orderItems.map { Item(productID: $0.productID, quantity: $0.quantity) })
        }
        try await self.mailbox.transaction { turn in
            for command in commands { try turn.send(command, sagaID: nil, to: "order-saga") }
        }
        self.logger.warning("SagaCreateOrder sent again", metadata: ["orders": "\(orderIDs.count)"])
    }
}

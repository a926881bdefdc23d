import ActorRuntime
import Foundation
import Logging
import Synchronization

/// Accepts orders in groups: the POSTs that arrive while one group commits wait and form the next group, which
/// checks all their sessions with one statement, records all their orders with one, queues all their
/// `SagaCreateOrder` messages with one, and commits once. Each request is answered only after the commit
/// that holds its order. Under load this turns one durable commit per order into one per group.
final class OrderIntake: Sendable {
    /// One POST waiting for its group.
    struct Submission: Sendable {
        var tokenHash: String
        var idempotencyKey: String?
        var requestHash: String
        var requestJSON: String
        var order: OrderRequest
        var orderID: String
        var now: Date
    }

    enum Outcome: Sendable {
        case created(orderID: String, userID: String)
        case existing(orderID: String, requestHash: String, userID: String)
        case unauthorized
        /// Another request with the same key is still being recorded; the client retries.
        case keyInUse
    }

    private struct Queue {
        var waiting: [(Submission, CheckedContinuation<Outcome, any Error>)] = []
        var committing = false
    }

    private let queue = Mutex(Queue())
    private let mailbox: Mailbox
    private let sessions: SessionStore
    /// Most orders in one group.
    let maxGroup: Int

    init(mailbox: Mailbox, sessions: SessionStore, maxGroup: Int = 500) {
        self.mailbox = mailbox
        self.sessions = sessions
        self.maxGroup = maxGroup
    }

    /// Records the order with the next group; returns once that group has committed.
    func submit(_ submission: Submission) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let startsGroup = self.queue.withLock { queue -> Bool in
                queue.waiting.append((submission, continuation))
                guard !queue.committing else { return false }
                queue.committing = true
                return true
            }
            if startsGroup { Task { await self.commitGroups() } }
        }
    }

    /// Commits groups until nobody waits.
    private func commitGroups() async {
        while true {
            let group = self.queue.withLock { queue -> [(Submission, CheckedContinuation<Outcome, any Error>)] in
                let group = Array(queue.waiting.prefix(self.maxGroup))
                queue.waiting.removeFirst(group.count)
                if group.isEmpty { queue.committing = false }
                return group
            }
            guard !group.isEmpty else { return }
            do {
                let outcomes = try await self.commit(group.map(\.0))
                for ((_, continuation), outcome) in zip(group, outcomes) { continuation.resume(returning: outcome) }
            } catch {
                for (_, continuation) in group { continuation.resume(throwing: error) }
            }
        }
    }

    private func commit(_ group: [Submission]) async throws -> [Outcome] {
        let sessions = self.sessions
        return try await self.mailbox.transaction { turn -> [Outcome] in
            let connection = turn.connection
            let users = try sessions.users(
                tokenHashes: group.map(\.tokenHash), now: group.map(\.now).max() ?? Date(), connection)
            let authorized = group.enumerated().compactMap { index, submission in
                users[submission.tokenHash].map { (index, submission, $0) }
            }
            var outcomes = [Outcome](repeating: .unauthorized, count: group.count)
            guard !authorized.isEmpty else { return outcomes }
            let inserted = Set(
                try connection.query(
                    """
                    INSERT INTO orders (id, user_id, idempotency_key, request_hash, request, created_at)
                    SELECT i, u, k, h, r::jsonb, c::timestamptz
                    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(i, u, k, h, r, c)
                    ON CONFLICT (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                    RETURNING id
                    """,
                    [
                        PostgresArray(authorized.map(\.1.orderID)), PostgresArray(authorized.map(\.2)),
                        PostgresArray(authorized.map(\.1.idempotencyKey)),
                        PostgresArray(authorized.map(\.1.requestHash)),
                        PostgresArray(authorized.map(\.1.requestJSON)),
                        PostgresArray(authorized.map(\.1.now.postgresText)),
                    ]
                ).rows.map { try $0.string("id") })
            // A key used before (or twice in this group): the order recorded first answers.
            let repeated = authorized.filter { !inserted.contains($0.1.orderID) }
            var earlier: [String: (id: String, hash: String)] = [:]
            if !repeated.isEmpty {
                for row in try connection.query(
                    """
                    SELECT o.user_id, o.idempotency_key, o.id, o.request_hash
                    FROM orders o JOIN unnest($1::text[], $2::text[]) AS x(u, k) ON o.user_id = x.u AND o.idempotency_key = x.k
                    """,
                    [PostgresArray(repeated.map(\.2)), PostgresArray(repeated.map(\.1.idempotencyKey))]
                ).rows {
                    earlier["\(try row.string("user_id"))\u{0}\(try row.string("idempotency_key"))"] =
                        (try row.string("id"), try row.string("request_hash"))
                }
            }
            for (index, submission, userID) in authorized {
                if inserted.contains(submission.orderID) {
                    let command = Commands.SagaCreateOrder(
                        orderID: submission.orderID, userID: userID, paymentMethodID: submission.order.paymentMethodID,
                        orderItems: submission.order.orderItems.map {
                            Item(productID: $0.productID, quantity: $0.quantity)
                        })
                    try turn.send(command, sagaID: nil)
                    outcomes[index] = .created(orderID: submission.orderID, userID: userID)
                } else if let (id, hash) = earlier["\(userID)\u{0}\(submission.idempotencyKey ?? "")"] {
                    outcomes[index] = .existing(orderID: id, requestHash: hash, userID: userID)
                } else {
                    outcomes[index] = .keyInUse
                }
            }
            return outcomes
        }
    }
}

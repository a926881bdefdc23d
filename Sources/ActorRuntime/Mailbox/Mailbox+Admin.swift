import Foundation
import Logging

/// A message that failed `maxAttempts` times, kept until replayed.
public struct DeadLetter: Codable, Sendable, Equatable {
    public var outboxID: Int64
    public var messageID: String
    public var destination: String
    public var type: String
    public var attempts: Int
    public var lastError: String?
    public var createdAt: Date
}

/// What `replay` did: how many dead letters went back in the queue, and which were refused and why.
public struct ReplayReport: Codable, Sendable, Equatable {
    public struct Refusal: Codable, Sendable, Equatable {
        public var outboxID: Int64
        public var messageID: String
        public var type: String
        public var reason: String

        public init(outboxID: Int64, messageID: String, type: String, reason: String) {
            self.outboxID = outboxID
            self.messageID = messageID
            self.type = type
            self.reason = reason
        }
    }

    public var replayed: Int
    public var refused: [Refusal]

    public init(replayed: Int, refused: [Refusal]) {
        self.replayed = replayed
        self.refused = refused
    }
}

/// Queue depths of one service's mailbox, for `node status`.
public struct MailboxStats: Codable, Sendable, Equatable {
    public var service: String
    /// Undelivered rows that are due, per destination.
    public var pending: [String: Int]
    /// Timers not due yet (saga deadlines, retries), in all.
    public var scheduled: Int
    /// How long, in seconds, the oldest due row has been waiting (since it was written or fell due); 0 when none.
    public var oldestPendingSeconds: Double
    public var deadLetters: Int
    /// `active` or `standby` for a service that runs under a lease; nil otherwise.
    public var role: String?
    /// Who holds the service's lease, per its database; nil when not leased.
    public var lease: LeaseHolder?

    public init(
        service: String, pending: [String: Int], scheduled: Int, oldestPendingSeconds: Double, deadLetters: Int,
        role: String? = nil, lease: LeaseHolder? = nil
    ) {
        self.service = service
        self.pending = pending
        self.scheduled = scheduled
        self.oldestPendingSeconds = oldestPendingSeconds
        self.deadLetters = deadLetters
        self.role = role
        self.lease = lease
    }
}

/// A service's row of `service_lease`: which node runs it, since when, and the last failover.
public struct LeaseHolder: Codable, Sendable, Equatable {
    public var node: String
    public var epoch: Int64
    public var acquiredAt: Date
    /// The node that held the lease before the last failover, and when that failover was.
    public var previousNode: String?
    public var failedOverAt: Date?

    public init(node: String, epoch: Int64, acquiredAt: Date, previousNode: String? = nil, failedOverAt: Date? = nil) {
        self.node = node
        self.epoch = epoch
        self.acquiredAt = acquiredAt
        self.previousNode = previousNode
        self.failedOverAt = failedOverAt
    }
}

extension Mailbox {
    /// Dead letters, oldest first.
    public func deadLetters(limit: Int = 100) async throws -> [DeadLetter] {
        try await self.client.query(
            """
            SELECT id, message_id, destination, message_type, attempts, last_error, created_at FROM outbox
            WHERE status = 2 ORDER BY id LIMIT $1
            """,
            [limit]
        ).rows.map { row in
            DeadLetter(
                outboxID: Int64(try row.int("id")),
                messageID: try row.string("message_id"),
                destination: try row.string("destination"),
                type: try row.string("message_type"),
                attempts: try row.int("attempts"),
                lastError: try row.optionalString("last_error"),
                createdAt: try row.date("created_at")
            )
        }
    }

    /// Puts dead letters back in the queue with a fresh attempt count (all of them when `ids` is nil).
    ///
    /// - Returns: how many were replayed.
    @discardableResult
    public func replay(ids: [Int64]? = nil) async throws -> ReplayReport {
        let list = ids.map { "{\($0.map(String.init).joined(separator: ","))}" }
        let handler = self.handler
        let (report, destinations) = try await self.client.transaction { connection -> (ReplayReport, Set<String>) in
            let candidates = try connection.query(
                """
                SELECT id, message_id, message_type, saga_id, destination FROM outbox
                WHERE status = 2 AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[])) ORDER BY id FOR UPDATE
                """,
                [list]
            ).rows.map { row in
                ReplayCandidate(
                    outboxID: Int64(try row.int("id")), messageID: try row.string("message_id"),
                    type: try row.string("message_type"),
                    sagaID: try row.optionalString("saga_id"), destination: try row.string("destination"))
            }
            // The sending service decides what may go again (a finished saga's commands may not).
            let refusals = try handler.refuseReplay(candidates, connection: connection)
            let allowed = candidates.filter { refusals[$0.outboxID] == nil }
            if !allowed.isEmpty {
                try connection.query(
                    "UPDATE outbox SET status = 0, attempts = 0, not_before = NULL WHERE status = 2 AND id = ANY($1::bigint[])",
                    [PostgresIntArray(allowed.map { Int($0.outboxID) })])
            }
            let refused = candidates.compactMap { candidate in
                refusals[candidate.outboxID].map {
                    ReplayReport.Refusal(
                        outboxID: candidate.outboxID, messageID: candidate.messageID, type: candidate.type, reason: $0)
                }
            }
            return (ReplayReport(replayed: allowed.count, refused: refused), Set(allowed.map(\.destination)))
        }
        for refusal in report.refused {
            self.log.warning(
                "dead letter not replayed",
                metadata: [
                    "outbox_id": "\(refusal.outboxID)", "message_type": "\(refusal.type)",
                    "reason": "\(refusal.reason)",
                ])
        }
        self.wake(destinations)
        return report
    }

    /// Deletes inbox ids older than `cutoff` (default: the database's now − retention). Delivered outbox rows
    /// need no pruning: acknowledging deletes them.
    ///
    /// - Returns: inbox rows deleted.
    @discardableResult
    public func prune(before cutoff: Date? = nil) async throws -> Int {
        if let cutoff {
            return try await self.client.query("DELETE FROM inbox WHERE received_at < $1", [cutoff]).affected
        }
        return try await self.client.query(
            "DELETE FROM inbox WHERE received_at < now() - $1::float8 * interval '1 second'",
            [self.configuration.retention.seconds]
        ).affected
    }

    public func stats() async throws -> MailboxStats {
        let rows = try await self.client.query(
            """
            SELECT destination,
                   count(*) FILTER (WHERE not_before IS NULL OR not_before <= now()) AS n,
                   count(*) FILTER (WHERE not_before > now()) AS scheduled,
                   COALESCE(EXTRACT(EPOCH FROM (now() - min(COALESCE(not_before, created_at))
                       FILTER (WHERE not_before IS NULL OR not_before <= now()))), 0)::float8 AS age
            FROM outbox WHERE status = 0 GROUP BY destination
            """
        )
        var pending: [String: Int] = [:]
        var scheduled = 0
        var oldest = 0.0
        for row in rows.rows {
            let due = try row.int("n")
            if due > 0 { pending[try row.string("destination")] = due }
            scheduled += try row.int("scheduled")
            oldest = max(oldest, try row.double("age"))
        }
        let dead = try await self.client.query("SELECT count(*) AS n FROM outbox WHERE status = 2").first?.int("n") ?? 0
        var stats = MailboxStats(
            service: self.service, pending: pending, scheduled: scheduled, oldestPendingSeconds: oldest,
            deadLetters: dead)
        if self.configuration.leased {
            stats.role = self.isActive ? "active" : "standby"
            stats.lease = try await self.client.query(
                "SELECT node, epoch, acquired_at, previous_node, failed_over_at FROM service_lease WHERE service = $1",
                [self.service]
            ).first.map { row in
                LeaseHolder(
                    node: try row.string("node"), epoch: Int64(try row.int("epoch")),
                    acquiredAt: try row.date("acquired_at"),
                    previousNode: try row.optionalString("previous_node"),
                    failedOverAt: try row.optionalDate("failed_over_at"))
            }
        }
        return stats
    }

    /// Messages to `destination` not yet delivered (due or scheduled, not dead).
    public func pendingCount(to destination: String) async throws -> Int {
        try await self.client.query(
            "SELECT count(*) AS n FROM outbox WHERE status = 0 AND destination = $1", [destination]
        )
        .first?.int("n") ?? 0
    }

    func pruneLoop() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: self.configuration.pruneInterval)
            } catch {
                return
            }
            do {
                let inbox = try await self.prune()
                if inbox > 0 { self.log.info("pruned the inbox", metadata: ["rows": "\(inbox)"]) }
            } catch {
                self.log.warning("pruning failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

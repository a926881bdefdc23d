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
    public func replay(ids: [Int64]? = nil) async throws -> Int {
        let list = ids.map { "{\($0.map(String.init).joined(separator: ","))}" }
        let rows = try await self.client.query(
            """
            UPDATE outbox SET status = 0, attempts = 0, not_before = NULL
            WHERE status = 2 AND ($1::bigint[] IS NULL OR id = ANY($1::bigint[]))
            RETURNING destination
            """,
            [list]
        )
        self.wake(Set(try rows.rows.map { try $0.string("destination") }))
        return rows.count
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
            "DELETE FROM inbox WHERE received_at < now() - $1::float8 * interval '1 second'", [self.configuration.retention.seconds]
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
        return MailboxStats(
            service: self.service, pending: pending, scheduled: scheduled, oldestPendingSeconds: oldest, deadLetters: dead)
    }

    /// Messages to `destination` not yet delivered (due or scheduled, not dead).
    public func pendingCount(to destination: String) async throws -> Int {
        try await self.client.query("SELECT count(*) AS n FROM outbox WHERE status = 0 AND destination = $1", [destination])
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

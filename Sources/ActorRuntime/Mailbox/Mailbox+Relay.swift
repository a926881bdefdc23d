import Distributed
import Foundation
import Logging
import Synchronization

extension Mailbox {
    struct PendingRow: Sendable {
        var id: Int64
        var attempts: Int
        var message: MailboxMessage
    }

    /// Delivers everything pending for `destination`, in id order, for as long as the task runs.
    func relayLoop(to destination: String) async {
        guard let signal = self.relays.withLock({ $0[destination] }) else { return }
        var log = self.log
        log[metadataKey: "destination"] = "\(destination)"
        var failures = 0
        while !Task.isCancelled {
            do {
                let rows = try await self.fetchPending(destination)
                if rows.isEmpty {
                    failures = 0
                    let due = try await self.secondsUntilNextDue(destination)
                    let wait = due.map { min(.milliseconds(Int64(max($0, 0.001) * 1000) + 1), self.configuration.pollInterval) }
                    await signal.wait(timeout: wait ?? self.configuration.pollInterval)
                    continue
                }
                let report = try await self.deliver(rows, to: destination)
                failures = 0
                let dead = try await self.record(report, for: rows)
                if let failure = report.failure {
                    let row = rows[report.accepted]
                    if dead {
                        log.error("message is a dead letter", metadata: [
                            "message_id": "\(row.message.id)", "message_type": "\(row.message.type)",
                            "saga_id": "\(row.message.sagaID ?? "-")",
                            "attempts": "\(row.attempts + 1)", "error": "\(failure.error)",
                        ])
                    } else {
                        // Wait before retrying the failed message; later ones wait behind it, so order holds.
                        try? await Task.sleep(for: self.configuration.retryBackoff.delay(attempt: row.attempts))
                    }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                if failures == 1 {
                    log.info("delivery failed; retrying with backoff", metadata: ["error": "\(error)"])
                } else {
                    log.debug("delivery retry \(failures) failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: self.configuration.retryBackoff.delay(attempt: failures - 1))
            }
        }
    }

    private func fetchPending(_ destination: String) async throws -> [PendingRow] {
        let source = self.service
        let rows = try await self.relayClient.query(
            """
            SELECT id, message_id, message_type, saga_id, payload::text AS payload, attempts FROM outbox
            WHERE destination = $1 AND status = 0 AND (not_before IS NULL OR not_before <= now())
            ORDER BY id LIMIT $2
            """,
            [destination, self.configuration.batchSize]
        )
        var bytes = 0
        var pending: [PendingRow] = []
        for row in rows.rows {
            let payload = try row.string("payload")
            bytes += payload.utf8.count
            if !pending.isEmpty, bytes > self.configuration.batchBytes { break }
            pending.append(PendingRow(
                id: Int64(try row.int("id")),
                attempts: try row.int("attempts"),
                message: MailboxMessage(
                    id: try row.string("message_id"),
                    type: try row.string("message_type"),
                    sagaID: try row.optionalString("saga_id"),
                    payload: payload,
                    source: source
                )
            ))
        }
        return pending
    }

    /// Seconds until the earliest delayed row for `destination` is due, if there is one.
    private func secondsUntilNextDue(_ destination: String) async throws -> Double? {
        let row = try await self.relayClient.query(
            """
            SELECT EXTRACT(EPOCH FROM (min(not_before) - now()))::float8 AS wait FROM outbox
            WHERE destination = $1 AND status = 0 AND not_before > now()
            """,
            [destination]
        ).first
        return try row?.optionalString("wait").flatMap(Double.init)
    }

    private func deliver(_ rows: [PendingRow], to destination: String) async throws -> DeliveryReport {
        guard let node = self.configuration.directory[destination] else {
            throw RuntimeError(.unknownNode, "no node hosts service \(destination)")
        }
        let id = ActorID(node: node, path: MailboxEndpoint.path(for: destination))
        let endpoint = try MailboxEndpoint.resolve(id: id, using: self.system)
        let reordered = self.configuration.deliverReordered && rows.count > 1
        let messages = reordered ? rows.reversed().map(\.message) : rows.map(\.message)
        let batch = DeliveryBatch(source: self.service, destination: destination, messages: messages)
        var report = try await ClusterSystem.withCallTimeout(self.configuration.deliveryTimeout) {
            try await endpoint.deliver(batch)
        }
        if reordered, report.accepted < rows.count {
            // The accepted prefix is of the reversed batch: acknowledge nothing, deliver it all again (the
            // receiver's inbox absorbs what it already took).
            try await Task.sleep(for: self.configuration.retryBackoff.initial)
            report = DeliveryReport(accepted: 0, duplicates: 0, failure: nil)
        }
        if self.configuration.deliverTwice {
            let again = try await ClusterSystem.withCallTimeout(self.configuration.deliveryTimeout) {
                try await endpoint.deliver(batch)
            }
            return DeliveryReport(accepted: again.accepted, duplicates: again.duplicates, failure: again.failure)
        }
        return report
    }

    /// Marks the accepted prefix delivered and counts a failure against the next row.
    ///
    /// - Returns: whether the failed row became a dead letter.
    private func record(_ report: DeliveryReport, for rows: [PendingRow]) async throws -> Bool {
        let delivered = rows.prefix(report.accepted).map { String($0.id) }.joined(separator: ",")
        let failed = report.failure.map { (rows[report.accepted].id, $0.error) }
        let maxAttempts = self.configuration.maxAttempts
        return try await self.relayClient.transaction { connection in
            // An ack lost in a crash only means a redelivery, which the receiver's inbox absorbs: no need to
            // wait for this commit to reach the disk.
            try connection.query("SET LOCAL synchronous_commit = off")
            if !delivered.isEmpty {
                try connection.query(
                    "UPDATE outbox SET status = 1, delivered_at = now() WHERE id = ANY($1::bigint[]) AND status = 0",
                    ["{\(delivered)}"]
                )
            }
            guard let (id, error) = failed else { return false }
            let row = try connection.query(
                """
                UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                    status = CASE WHEN attempts + 1 >= $3 THEN 2 ELSE 0 END
                WHERE id = $1 RETURNING status
                """,
                [Int(id), error, maxAttempts]
            ).first
            return try row?.int("status") == MailboxSchema.Status.dead.rawValue
        }
    }
}

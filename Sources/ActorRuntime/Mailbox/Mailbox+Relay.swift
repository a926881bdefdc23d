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
    ///
    /// One cycle is one statement (acknowledge the last batch by deleting it, and read the next) and one delivery
    /// call. Acknowledgements commit without waiting for the disk (the relay's connections are set up so): a lost
    /// one only means a redelivery, which the receiver's inbox absorbs.
    func relayLoop(to destination: String) async {
        guard let signal = self.relays.withLock({ $0[destination] }) else { return }
        var log = self.log
        log[metadataKey: "destination"] = "\(destination)"
        var failures = 0
        var acknowledged: [Int64] = []
        // When the earliest delayed row (a retry, a timer) written by this process falls due.
        while !Task.isCancelled {
            do {
                let rows = try await self.fetchPending(destination, acknowledging: acknowledged)
                acknowledged = []
                if rows.isEmpty {
                    failures = 0
                    let due = self.nextDue(destination)
                    let wait = due.map {
                        max(.milliseconds(1), min($0 - ContinuousClock.now, self.configuration.pollInterval))
                    }
                    await signal.wait(timeout: wait ?? self.configuration.pollInterval)
                    continue
                }
                let report = try await self.deliver(rows, to: destination)
                failures = 0
                let failed = Dictionary(
                    report.failed.map { ($0.messageID, $0.error) }, uniquingKeysWith: { first, _ in first })
                acknowledged = rows.filter { failed[$0.message.id] == nil }.map(\.id)
                if !failed.isEmpty {
                    let failedRows = rows.filter { failed[$0.message.id] != nil }
                    let dead = try await self.recordFailures(failedRows, errors: failed, destination: destination)
                    for row in failedRows where dead.contains(row.id) {
                        log.error(
                            "message is a dead letter",
                            metadata: [
                                "message_id": "\(row.message.id)", "message_type": "\(row.message.type)",
                                "saga_id": "\(row.message.sagaID ?? "-")",
                                "attempts": "\(row.attempts + 1)", "error": "\(failed[row.message.id] ?? "")",
                            ])
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
                try? await self.system.settings.clock.sleep(
                    for: self.configuration.retryBackoff.delay(attempt: failures - 1))
            }
        }
        if !acknowledged.isEmpty {
            _ = try? await self.fetchPending(destination, acknowledging: acknowledged, limit: 0)
        }
    }

    /// Deletes the acknowledged rows and reads the next due ones, in one statement.
    private func fetchPending(_ destination: String, acknowledging: [Int64], limit: Int? = nil) async throws
        -> [PendingRow]
    {
        let source = self.service
        let rows = try await self.relayClient.query(
            """
            WITH acknowledged AS (
                DELETE FROM outbox WHERE destination = $1 AND status = 0 AND id = ANY($3::bigint[])
            )
            SELECT id, message_id, message_type, saga_id, payload, attempts FROM outbox
            WHERE destination = $1 AND status = 0 AND (not_before IS NULL OR not_before <= now())
                AND id <> ALL($3::bigint[])
            ORDER BY id LIMIT $2
            """,
            [destination, limit ?? self.configuration.batchSize, PostgresIntArray(acknowledging.map { Int($0) })]
        )
        var bytes = 0
        var pending: [PendingRow] = []
        pending.reserveCapacity(rows.count)
        for row in rows.rows {
            let payload = try row.bytes("payload")
            bytes += payload.count
            if !pending.isEmpty, bytes > self.configuration.batchBytes { break }
            pending.append(
                PendingRow(
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

    /// When the earliest row for `destination` that this process delayed falls due, if any.
    private func nextDue(_ destination: String) -> ContinuousClock.Instant? {
        self.dueTimes.withLock { due in
            let now = ContinuousClock.now
            due[destination] = due[destination]?.filter { $0 > now - .seconds(1) }
            return due[destination]?.min()
        }
    }

    /// Remembers that a row for `destination` was delayed by `delay`, so the idle relay wakes for it.
    func noteDelayed(_ destination: String, by delay: Duration) {
        self.dueTimes.withLock { $0[destination, default: []].append(ContinuousClock.now + delay) }
    }

    /// One delivery call to the node `directory` names for `destination`. A node that fails the call (it stands
    /// by, is unreachable, or is slow) stops being the first choice, so the retry tries the service's next node.
    private func deliver(_ rows: [PendingRow], to destination: String) async throws -> DeliveryReport {
        let directory = self.configuration.directory
        guard let node = directory[destination] else {
            throw RuntimeError(.unknownNode, "no node hosts service \(destination)")
        }
        let id = ActorID(node: node, path: MailboxEndpoint.path(for: destination))
        let reordered = self.configuration.deliverReordered && rows.count > 1
        let messages = reordered ? rows.reversed().map(\.message) : rows.map(\.message)
        let batch = DeliveryBatch(source: self.service, destination: destination, messages: messages)
        do {
            let endpoint = try MailboxEndpoint.resolve(id: id, using: self.system)
            var report = try await ClusterSystem.withCallTimeout(self.configuration.deliveryTimeout) {
                try await endpoint.deliver(batch)
            }
            if self.configuration.deliverTwice {
                report = try await ClusterSystem.withCallTimeout(self.configuration.deliveryTimeout) {
                    try await endpoint.deliver(batch)
                }
            }
            directory.found(destination, on: node)
            return report
        } catch {
            directory.moveOn(from: node, for: destination)
            throw error
        }
    }

    /// Counts a failed attempt against each row, delays its retry with backoff (the rest of the queue goes on),
    /// and makes it a dead letter after `maxAttempts`.
    ///
    /// - Returns: the ids of the rows that became dead letters.
    private func recordFailures(_ rows: [PendingRow], errors: [String: String], destination: String) async throws
        -> Set<Int64>
    {
        let delays = rows.map { self.configuration.retryBackoff.delay(attempt: $0.attempts) }
        let dead = try await self.relayClient.query(
            """
            UPDATE outbox o SET attempts = o.attempts + 1, last_error = x.e,
                status = CASE WHEN o.attempts + 1 >= $4 THEN 2 ELSE 0 END,
                not_before = now() + x.ms * interval '1 millisecond'
            FROM unnest($1::bigint[], $2::text[], $3::float8[]) AS x(i, e, ms)
            WHERE o.destination = $5 AND o.status = 0 AND o.id = x.i
            RETURNING o.id, o.status
            """,
            [
                PostgresIntArray(rows.map { Int($0.id) }), PostgresArray(rows.map { errors[$0.message.id] }),
                PostgresArray(delays.map { String($0.seconds * 1000) }), self.configuration.maxAttempts, destination,
            ]
        ).rows.filter { try $0.int("status") == MailboxSchema.Status.dead.rawValue }.map { Int64(try $0.int("id")) }
        for delay in delays { self.noteDelayed(destination, by: delay) }
        return Set(dead)
    }
}

extension Duration {
    /// The duration in seconds.
    public var seconds: Double { Double(self.components.seconds) + Double(self.components.attoseconds) / 1e18 }
}

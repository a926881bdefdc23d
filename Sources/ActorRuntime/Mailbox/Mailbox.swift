import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The durable, at-least-once, effect-once mailbox of one service.
///
/// - Sending: a turn (or `transaction`) inserts outgoing messages into `outbox` in the same transaction as its
///   state change. After the commit, the relay for each destination wakes.
/// - Relaying: one relay per destination reads pending rows in id order, in batches, calls the destination's
///   `MailboxEndpoint.deliver`, and marks rows delivered only after the destination committed them. An
///   unreachable destination is retried with capped backoff and jitter; nothing is dropped.
/// - Receiving: one transaction per batch; each message inserts its id into `inbox` (a duplicate is acked
///   without running the handler) and runs the handler under a savepoint. A handler that throws rolls back
///   its message only; the committed prefix is acked and the rest is retried. After `maxAttempts` failures
///   the message is a dead letter, visible and replayable.
public final class Mailbox: Service, Sendable {
    public struct Configuration: Sendable {
        /// The service this mailbox belongs to.
        public var service: String
        /// Which node hosts each service (destinations are resolved through it).
        public var directory: [String: String]
        /// Subscribers per message type, for `Turn.publish`.
        public var routes = MessageRoutes()
        /// Most messages per delivery call (one receiving transaction). Defaults to 1000.
        public var batchSize = 1000
        /// Most payload bytes per delivery call; a batch stops before passing it (well under the wire's
        /// 16 MiB frame cap). Defaults to 4 MiB.
        public var batchBytes = 4 << 20
        /// How long an idle relay sleeps when nothing wakes it (the fallback to in-process wake-ups).
        /// Defaults to 1 s.
        public var pollInterval: Duration = .seconds(1)
        /// Deadline of one delivery call. Defaults to 10 s.
        public var deliveryTimeout: Duration = .seconds(10)
        /// Handler failures after which a message becomes a dead letter. Defaults to 5.
        public var maxAttempts = 5
        /// Delay between retries (unreachable destination, failed handler). Defaults to 100 ms doubling to 5 s.
        public var retryBackoff: ClusterSystem.Backoff = {
            var backoff = ClusterSystem.Backoff()
            backoff.initial = .milliseconds(100)
            backoff.maximum = .seconds(5)
            return backoff
        }()
        /// How long delivered outbox rows and inbox ids are kept. The inbox window must outlast any
        /// redelivery. Defaults to 7 days.
        public var retention: Duration = .seconds(7 * 24 * 3600)
        /// How often pruning runs. Defaults to 10 minutes.
        public var pruneInterval: Duration = .seconds(600)
        /// Test switch: every batch is delivered twice (the inbox must absorb the copies).
        public var deliverTwice = false
        /// Test switch: every batch is delivered in reverse order (handlers must not rely on the order of
        /// messages from one sender). A batch is acknowledged only when all of it was accepted.
        public var deliverReordered = false

        public init(service: String, directory: [String: String]) {
            self.service = service
            self.directory = directory
        }
    }

    public let configuration: Configuration
    let client: PostgresClient
    /// The relays' own connections, so that a busy service never starves its outbound queue.
    let relayClient: PostgresClient
    let system: ClusterSystem
    let handler: any MailboxHandler
    let log: Logger
    private let endpoint = Mutex<MailboxEndpoint?>(nil)
    let relays = Mutex<[String: WakeSignal]>([:])
    let newRelays: AsyncStream<String>
    let newRelaysContinuation: AsyncStream<String>.Continuation

    public init(
        configuration: Configuration,
        client: PostgresClient,
        system: ClusterSystem,
        handler: any MailboxHandler,
        logger: Logger = Logger(label: "mailbox")
    ) {
        self.configuration = configuration
        self.client = client
        var relayConfiguration = client.configuration
        relayConfiguration.poolSize = 2
        self.relayClient = PostgresClient(configuration: relayConfiguration, logger: logger)
        self.system = system
        self.handler = handler
        var log = logger
        log[metadataKey: "service"] = "\(configuration.service)"
        self.log = log
        (self.newRelays, self.newRelaysContinuation) = AsyncStream.makeStream()
    }

    deinit {
        self.relayClient.shutdown()
    }

    public var service: String { self.configuration.service }

    /// Creates the mailbox tables if needed.
    public func migrate() async throws {
        try await MigrationRunner.apply(MailboxSchema.migrations, namespace: "mailbox", client: self.client, logger: self.log)
    }

    /// Registers the endpoint, starts a relay for every destination with pending rows, and runs relays and
    /// pruning until graceful shutdown (or cancellation).
    public func run() async throws {
        self.registerEndpoint()
        let pendingDestinations = try await self.client.query(
            "SELECT DISTINCT destination FROM outbox WHERE status = 0"
        ).rows.map { try $0.string("destination") }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.pruneLoop() }
                for destination in Set(pendingDestinations).union([self.service]) {
                    self.ensureRelay(destination)
                }
                for await destination in self.newRelays {
                    group.addTask { await self.relayLoop(to: destination) }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            self.newRelaysContinuation.finish()
        }
        // Stopped: this service no longer takes deliveries (senders keep its messages and retry).
        self.endpoint.withLock { $0 = nil }
    }

    /// Makes this service reachable at `/mailbox/<service>` on its node. `run()` calls it.
    public func registerEndpoint() {
        self.endpoint.withLock { endpoint in
            guard endpoint == nil else { return }
            endpoint = self.system.makeActor(path: MailboxEndpoint.path(for: self.service)) {
                MailboxEndpoint(actorSystem: self.system, mailbox: self)
            }
        }
    }

    /// Runs `body` as a turn of this service that is not triggered by a message (an HTTP request, a start-up
    /// task): its outgoing messages commit with it, and relays wake after the commit.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (inout Turn) throws -> T) async throws -> T {
        let service = self.service
        let routes = self.configuration.routes
        let (result, touched) = try await self.client.transaction { connection in
            var turn = Turn(connection: connection, service: service, routes: routes)
            let result = try body(&turn)
            try turn.flush()
            return (result, turn.touched)
        }
        self.wake(touched)
        return result
    }

    /// Wakes (starting if needed) the relays of `destinations`.
    func wake(_ destinations: Set<String>) {
        for destination in destinations {
            self.ensureRelay(destination)
            self.relays.withLock { $0[destination] }?.signal()
        }
    }

    private func ensureRelay(_ destination: String) {
        let isNew = self.relays.withLock { relays -> Bool in
            guard relays[destination] == nil else { return false }
            relays[destination] = WakeSignal()
            return true
        }
        if isNew { self.newRelaysContinuation.yield(destination) }
    }

    // MARK: Receiving

    /// Handles a delivered batch: see the type's documentation.
    func receive(_ batch: DeliveryBatch) async throws -> DeliveryReport {
        guard batch.destination == self.service else {
            throw RuntimeError(.badCall, "batch for \(batch.destination) delivered to \(self.service)")
        }
        let handler = self.handler
        let service = self.service
        let routes = self.configuration.routes
        let outcome: (DeliveryReport, Set<String>)
        do {
            outcome = try await self.client.transaction { connection in
                try Self.receiveFast(batch, handler: handler, connection: connection, service: service, routes: routes)
            }
        } catch is HandlerFailure {
            // Some handler threw: redo the batch message by message to commit the prefix before it.
            outcome = try await self.client.transaction { connection in
                try Self.receiveCarefully(batch, handler: handler, connection: connection, service: service, routes: routes)
            }
        }
        let (report, touched) = outcome
        self.wake(touched)
        if let failure = report.failure {
            let message = batch.messages[report.accepted]
            self.log.warning("handler failed", metadata: [
                "message_id": "\(message.id)", "message_type": "\(message.type)", "saga_id": "\(message.sagaID ?? "-")",
                "error": "\(failure.error)",
            ])
        }
        return report
    }

    private struct HandlerFailure: Error {}

    /// The common case: one inbox insert for the whole batch, every handler in the one transaction.
    @available(*, noasync)
    private static func receiveFast(
        _ batch: DeliveryBatch,
        handler: any MailboxHandler,
        connection: PostgresConnection,
        service: String,
        routes: MessageRoutes
    ) throws -> (DeliveryReport, Set<String>) {
        let messages = batch.messages
        let fresh = Set(
            try connection.query(
                """
                INSERT INTO inbox (message_id, source, message_type)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING
                RETURNING message_id
                """,
                [
                    PostgresArray(messages.map(\.id)), PostgresArray(messages.map(\.source)),
                    PostgresArray(messages.map(\.type)),
                ]
            ).rows.map { try $0.string("message_id") })
        var turn = Turn(connection: connection, service: service, routes: routes)
        for message in messages where fresh.contains(message.id) {
            do {
                try handler.handle(message, in: &turn)
            } catch let error as PostgresError where error.isTransient {
                throw error
            } catch {
                throw HandlerFailure()
            }
        }
        try turn.flush()
        let report = DeliveryReport(accepted: messages.count, duplicates: messages.count - fresh.count, failure: nil)
        return (report, turn.touched)
    }

    /// Message by message under savepoints: commits everything before the first failing handler.
    @available(*, noasync)
    private static func receiveCarefully(
        _ batch: DeliveryBatch,
        handler: any MailboxHandler,
        connection: PostgresConnection,
        service: String,
        routes: MessageRoutes
    ) throws -> (DeliveryReport, Set<String>) {
        var turn = Turn(connection: connection, service: service, routes: routes)
        var report = DeliveryReport(accepted: 0, duplicates: 0, failure: nil)
        for message in batch.messages {
            try connection.query("SAVEPOINT message")
            let inserted = try connection.query(
                "INSERT INTO inbox (message_id, source, message_type) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                [message.id, message.source, message.type]
            ).affected == 1
            if !inserted {
                try connection.query("RELEASE SAVEPOINT message")
                report.accepted += 1
                report.duplicates += 1
                continue
            }
            do {
                try handler.handle(message, in: &turn)
                try turn.flush()
                try connection.query("RELEASE SAVEPOINT message")
                report.accepted += 1
            } catch let error as PostgresError where error.isTransient {
                throw error  // the database, not the handler, failed: retry the whole batch
            } catch {
                turn.discardQueued()
                try connection.query("ROLLBACK TO SAVEPOINT message")
                report.failure = .init(error: String(describing: error).prefix(2000).description)
                break
            }
        }
        return (report, turn.touched)
    }
}

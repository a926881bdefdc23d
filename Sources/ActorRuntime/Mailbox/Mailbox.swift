import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The durable, at-least-once, effect-once mailbox of one service.
///
/// - Sending: a turn (or `transaction`) inserts outgoing messages into `outbox` in the same transaction as its
///   state change. After the commit, the relay for each destination wakes.
/// - Relaying: one relay per destination reads pending rows in id order, in batches, calls the destination's
///   `MailboxEndpoint.deliver`, and deletes rows only after the destination committed them. An
///   unreachable destination is retried with capped backoff and jitter; nothing is dropped.
/// - Receiving: one turn at a time per service; batches that arrive during a turn are handled together by the
///   next. A turn inserts all message ids into `inbox` with one statement (duplicates are acked without
///   running the handler) and hands the new messages to the handler at once. If the handler throws, the
///   turn is redone bisecting under savepoints until each failing message stands alone: the rest commits,
///   the failing ones are retried with backoff, and after `maxAttempts` failures a message is a dead letter,
///   visible and replayable.
public final class Mailbox: Service, Sendable {
    /// What a mailbox is for (its service, where the others are, who subscribes to what) and its `Tuning`,
    /// whose fields read as the configuration's own (`configuration.batchSize`).
    @dynamicMemberLookup
    public struct Configuration: Sendable {
        /// The service this mailbox belongs to.
        public var service: String
        /// Which nodes host each service (destinations are resolved through it).
        public var directory: ServiceDirectory
        /// Subscribers per message type, for `Turn.publish`.
        public var routes = MessageRoutes()
        /// Whether the service runs under a `ServiceLease`: it then takes deliveries and runs turns only while
        /// activated with the lease's epoch, and every turn checks that epoch in the database.
        public var leased = false
        /// Batching, timing and retention (cluster.conf `[mailbox]`).
        public var tuning: Tuning

        public init(service: String, directory: ServiceDirectory, tuning: Tuning = Tuning()) {
            self.service = service
            self.directory = directory
            self.tuning = tuning
        }

        public subscript<Value>(dynamicMember keyPath: WritableKeyPath<Tuning, Value>) -> Value {
            get { self.tuning[keyPath: keyPath] }
            set { self.tuning[keyPath: keyPath] = newValue }
        }
    }

    /// A mailbox's tunables, with their defaults; one struct, read from cluster.conf `[mailbox]` and handed to
    /// every mailbox of a node.
    public struct Tuning: Sendable, Equatable {
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

        public init() {}
    }

    public let configuration: Configuration
    let client: PostgresClient
    /// The relays' own connections, so that a busy service never starves its outbound queue: the client given
    /// to `init`, else one that `run()` opens (`relayConfiguration`) and closes when it returns.
    private let givenRelayClient: PostgresClient?
    private let runningRelayClient = Mutex<PostgresClient?>(nil)
    /// Relays run only inside `run()`, which sets it first.
    var relayClient: PostgresClient { self.runningRelayClient.withLock { $0 } ?? self.client }
    let system: ClusterSystem
    let handler: any MailboxHandler
    let log: Logger
    private let endpoint = Mutex<MailboxEndpoint?>(nil)
    let receiving: ReceiveQueue
    let relays = Mutex<[String: WakeSignal]>([:])
    /// When delayed rows written by this process fall due, per destination (so an idle relay wakes for them).
    let dueTimes = Mutex<[String: [ContinuousClock.Instant]]>([:])
    /// Where `ensureRelay` asks the running `run()` for a relay; nil while not running.
    let newRelays = Mutex<AsyncStream<String>.Continuation?>(nil)
    /// The lease epoch this instance runs under (leased mailboxes only); nil while standing by.
    let epoch = Mutex<Int64?>(nil)

    /// - Parameters:
    ///   - client: the service's database; turns and receiving run on it.
    ///   - relayClient: connections for the relays (the caller shuts it down); nil: `run()` opens its own.
    public init(
        configuration: Configuration,
        client: PostgresClient,
        relayClient: PostgresClient? = nil,
        system: ClusterSystem,
        handler: any MailboxHandler,
        logger: Logger = Logger(label: "mailbox")
    ) {
        self.configuration = configuration
        self.receiving = ReceiveQueue(maxMessages: 4 * max(configuration.batchSize, 1))
        self.client = client
        self.givenRelayClient = relayClient
        self.system = system
        self.handler = handler
        var log = logger
        log[metadataKey: "service"] = "\(configuration.service)"
        self.log = log
    }

    /// The relays' connections to the service's database: two, and their commits need not wait for the disk
    /// (they only acknowledge and count attempts: a commit lost in a crash means a redelivery, which the
    /// receiver's inbox absorbs).
    public static func relayConfiguration(_ service: PostgresClient.Configuration) -> PostgresClient.Configuration {
        var configuration = service
        configuration.poolSize = 2
        configuration.sessionSetup.append("SET synchronous_commit = off")
        return configuration
    }

    public var service: String { self.configuration.service }

    /// Registers the endpoint, starts a relay for every destination with pending rows, and runs relays and
    /// pruning until graceful shutdown (or cancellation).
    ///
    /// A leased mailbox runs only while activated, and may run again after its lease is lost and retaken; it
    /// keeps its endpoint (a standby answers that it stands by), and cancelling `run()` stops its relays.
    public func run() async throws {
        self.registerEndpoint()
        let relayClient =
            self.givenRelayClient
            ?? PostgresClient(configuration: Self.relayConfiguration(self.client.configuration), logger: self.log)
        self.runningRelayClient.withLock { $0 = relayClient }
        defer {
            self.runningRelayClient.withLock { $0 = nil }
            if self.givenRelayClient == nil { relayClient.shutdown() }
        }
        // Relays asked for from here on are queued in the stream, so none is missed while the query runs.
        let (newRelays, continuation) = AsyncStream.makeStream(of: String.self)
        self.relays.withLock { $0 = [:] }
        self.newRelays.withLock { $0 = continuation }
        var pendingDestinations: [String] = []
        var attempt = 0
        while true {
            do {
                pendingDestinations = try await self.client.query(
                    "SELECT DISTINCT destination FROM outbox WHERE status = 0"
                ).rows.map { try $0.string("destination") }
                break
            } catch let error as PostgresError where error.isTransient && attempt < 50 && !Task.isCancelled {
                // A pool connection left over from before a database restart fails once; later ones reconnect.
                attempt += 1
                try? await self.system.settings.clock.sleep(
                    for: self.configuration.retryBackoff.delay(attempt: attempt - 1))
            } catch {
                self.newRelays.withLock { $0 = nil }
                throw error
            }
        }
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask { await self.pruneLoop() }
                for destination in Set(pendingDestinations).union([self.service]) {
                    self.ensureRelay(destination)
                }
                for await destination in newRelays {
                    group.addTask { await self.relayLoop(to: destination) }
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            continuation.finish()
        }
        self.newRelays.withLock { $0 = nil }
        self.relays.withLock { $0 = [:] }
        // Stopped: this service no longer takes deliveries (senders keep its messages and retry).
        if !self.configuration.leased { self.endpoint.withLock { $0 = nil } }
    }

    /// Lets a leased mailbox take deliveries and run turns under `epoch`.
    public func activate(epoch: Int64) { self.epoch.withLock { $0 = epoch } }

    /// Stops a leased mailbox from taking deliveries (its lease is lost or given up).
    public func deactivate() { self.epoch.withLock { $0 = nil } }

    /// Whether the mailbox takes deliveries: always when not leased, while activated when leased.
    public var isActive: Bool { !self.configuration.leased || self.epoch.withLock { $0 } != nil }

    /// The epoch a turn must find in `service_lease`, or nil when not leased.
    ///
    /// - Throws: `RuntimeError(.standby)` when leased but not active.
    func fence() throws -> Int64? {
        guard self.configuration.leased else { return nil }
        guard let epoch = self.epoch.withLock({ $0 }) else { throw Self.standingBy(self.service) }
        return epoch
    }

    static func standingBy(_ service: String) -> RuntimeError {
        RuntimeError(.standby, "\(service) stands by on this node; another node holds its lease")
    }

    /// Checks, inside a turn's transaction, that `epoch` is still the lease's; the row lock makes a new holder's
    /// increment wait for this turn.
    @available(*, noasync)
    static func checkFence(_ epoch: Int64?, service: String, connection: PostgresConnection) throws {
        guard let epoch else { return }
        let current = try connection.query("SELECT epoch FROM service_lease WHERE service = $1 FOR SHARE", [service])
            .first?.int("epoch")
        guard current.map(Int64.init) == epoch else {
            throw Fenced(service: service, epoch: epoch, current: current.map(Int64.init))
        }
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
        let epoch = try self.fence()
        let result: T
        let after: AfterCommit
        do {
            (result, after) = try await self.client.transaction { connection in
                try Self.checkFence(epoch, service: service, connection: connection)
                var turn = Turn(connection: connection, service: service, routes: routes)
                let result = try body(&turn)
                try turn.flush()
                return (result, AfterCommit(turn))
            }
        } catch is Fenced {
            self.deactivate()
            throw Self.standingBy(service)
        }
        self.committed(after)
        return result
    }

    /// What a committed turn leaves to do.
    struct AfterCommit: Sendable {
        var touched: Set<String>
        var delayed: [(String, Duration)]
        var hooks: [@Sendable () -> Void]

        init(_ turn: borrowing Turn) {
            self.touched = turn.touched
            self.delayed = turn.delayed
            self.hooks = turn.commitHooks
        }
    }

    func committed(_ after: AfterCommit) {
        for hook in after.hooks { hook() }
        for (destination, delay) in after.delayed { self.noteDelayed(destination, by: delay) }
        self.wake(after.touched)
    }

    /// Wakes (starting if needed) the relays of `destinations`.
    func wake(_ destinations: Set<String>) {
        for destination in destinations {
            self.ensureRelay(destination)
            self.relays.withLock { $0[destination] }?.signal()
        }
    }

    private func ensureRelay(_ destination: String) {
        guard let continuation = self.newRelays.withLock({ $0 }) else { return }  // not running: `run()` starts them
        let isNew = self.relays.withLock { relays -> Bool in
            guard relays[destination] == nil else { return false }
            relays[destination] = WakeSignal()
            return true
        }
        if isNew { continuation.yield(destination) }
    }

    // MARK: Receiving

    /// Handles a delivered batch: see the type's documentation. Batches that arrive while a turn runs are
    /// handled together by the next one (`ReceiveQueue`); each still gets its own report.
    func receive(_ batch: DeliveryBatch) async throws -> DeliveryReport {
        guard batch.destination == self.service else {
            throw RuntimeError(.badCall, "batch for \(batch.destination) delivered to \(self.service)")
        }
        _ = try self.fence()
        let id = self.receiving.nextID()
        // A caller that gives up (its delivery call timed out) takes its batch back if no turn has it yet, so
        // that the sender's retry is the only copy that runs.
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if self.receiving.enqueue(.init(id: id, batch: batch, continuation: continuation)) {
                    // Turns serve every sender: not under the identity of the caller that happened to start them.
                    ClusterSystem.$caller.withValue(nil) { Task { await self.receiveQueued() } }
                }
            }
        } onCancel: {
            self.receiving.cancel(id)?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Runs turns until no delivery waits.
    private func receiveQueued() async {
        while let group = self.receiving.next() {
            do {
                let reports = try await self.receive(together: group.map(\.batch))
                for (waiting, report) in zip(group, reports) { waiting.continuation.resume(returning: report) }
            } catch let error as PostgresError where error.isTransient {
                for waiting in group { waiting.continuation.resume(throwing: error) }
            } catch {
                guard group.count > 1 else {
                    group[0].continuation.resume(throwing: error)
                    continue
                }
                // Something other than a handler failed for the group (a write, the commit): each batch again
                // in its own turn, so that one sender's problem stays that sender's.
                for waiting in group {
                    do {
                        waiting.continuation.resume(returning: try await self.receive(together: [waiting.batch])[0])
                    } catch {
                        waiting.continuation.resume(throwing: error)
                    }
                }
            }
        }
    }

    /// One turn for `batches`: their messages in arrival order, one report per batch.
    private func receive(together batches: [DeliveryBatch]) async throws -> [DeliveryReport] {
        let messages = batches.count == 1 ? batches[0].messages : batches.flatMap(\.messages)
        let handler = self.handler
        let service = self.service
        let routes = self.configuration.routes
        let epoch = try self.fence()
        let outcome: Outcome
        do {
            do {
                outcome = try await self.client.transaction { connection in
                    try Self.receiveAll(
                        messages, handler: handler, connection: connection, service: service, epoch: epoch,
                        routes: routes)
                }
            } catch is HandlerFailure {
                // Some handler threw: redo the turn, isolating the failing messages under savepoints.
                outcome = try await self.client.transaction { connection in
                    try Self.receiveIsolating(
                        messages, handler: handler, connection: connection, service: service, epoch: epoch,
                        routes: routes)
                }
            }
        } catch let fenced as Fenced {
            // Another instance holds the lease now: this one stands by, and the sender goes elsewhere.
            self.log.warning(
                "turn refused: the lease moved on",
                metadata: [
                    "epoch": "\(fenced.epoch)", "current_epoch": "\(fenced.current.map(String.init) ?? "-")",
                ])
            self.deactivate()
            throw fenced
        }
        self.committed(outcome.after)
        let types = Dictionary(messages.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        for failure in outcome.failed {
            let message = types[failure.messageID]
            self.log.warning(
                "handler failed",
                metadata: [
                    "message_id": "\(failure.messageID)", "message_type": "\(message?.type ?? "-")",
                    "saga_id": "\(message?.sagaID ?? "-")", "error": "\(failure.error)",
                ])
        }
        // A message is new for the first batch that carried it; a copy in a later batch is its duplicate. A
        // failed message is reported failed in every batch that carried it: it left the inbox again, so no
        // copy may be acknowledged.
        let failures = Dictionary(outcome.failed.map { ($0.messageID, $0) }, uniquingKeysWith: { first, _ in first })
        var claimed = Set<String>()
        return batches.map { batch in
            var duplicates = 0
            var failed: [DeliveryReport.Failure] = []
            for message in batch.messages {
                if let failure = failures[message.id] {
                    failed.append(failure)
                    continue
                }
                guard outcome.fresh.contains(message.id), claimed.insert(message.id).inserted else {
                    duplicates += 1
                    continue
                }
            }
            return DeliveryReport(accepted: batch.messages.count - failed.count, duplicates: duplicates, failed: failed)
        }
    }

    /// What a receiving turn did: the ids it saw for the first time, the messages whose handler failed (rolled
    /// back alone), and what to do after the commit.
    private struct Outcome: Sendable {
        var fresh: Set<String>
        var failed: [DeliveryReport.Failure]
        var after: AfterCommit
    }

    private struct HandlerFailure: Error {}

    /// A turn found another epoch in `service_lease` than the one it runs under. Its caller hears `standby`.
    struct Fenced: ClusterShareableError {
        var service: String
        var epoch: Int64
        var current: Int64?
        var code: String { RuntimeError.Code.standby.description }
        var safeMessage: String { Mailbox.standingBy(self.service).message }
    }

    /// Records the batch's ids in the inbox with one statement; the messages seen for the first time, in order.
    @available(*, noasync)
    private static func recordInInbox(
        _ messages: [MailboxMessage], service: String, epoch: Int64?, connection: PostgresConnection
    ) throws -> [MailboxMessage] {
        let parameters: [(any PostgresBindable)?] = [
            PostgresArray(messages.map(\.id)), PostgresArray(messages.map(\.source)),
            PostgresArray(messages.map(\.type)), service,
        ]
        let fresh: Set<String>
        if let epoch {
            // The lease check rides on the same statement (no extra round trip per turn): the row is read
            // FOR SHARE, nothing is inserted under another epoch, and the last row reports the epoch found.
            let rows = try connection.query(
                """
                WITH lease AS (SELECT epoch FROM service_lease WHERE service = $4 FOR SHARE),
                fresh AS (
                    INSERT INTO inbox (receiver, message_id, source, message_type)
                    SELECT $4, m.id, m.source, m.type FROM unnest($1::text[], $2::text[], $3::text[]) AS m(id, source, type)
                    WHERE EXISTS (SELECT 1 FROM lease WHERE epoch = $5)
                    ON CONFLICT DO NOTHING RETURNING message_id
                )
                SELECT message_id, NULL::bigint AS epoch FROM fresh
                UNION ALL SELECT NULL, (SELECT epoch FROM lease)
                """,
                parameters + [Int(epoch)]
            ).rows
            var ids = Set<String>()
            var found: Int64?
            for row in rows {
                if let id = try row.optionalString("message_id") {
                    ids.insert(id)
                } else {
                    found = try row.optionalInt("epoch").map(Int64.init)
                }
            }
            guard found == epoch else { throw Fenced(service: service, epoch: epoch, current: found) }
            fresh = ids
        } else {
            fresh = Set(
                try connection.query(
                    """
                    INSERT INTO inbox (receiver, message_id, source, message_type)
                    SELECT $4, * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING
                    RETURNING message_id
                    """,
                    parameters
                ).rows.map { try $0.string("message_id") })
        }
        // A message id twice in one batch (a sender's duplicate) is handled once.
        var seen = Set<String>()
        return messages.filter { fresh.contains($0.id) && seen.insert($0.id).inserted }
    }

    /// The common case: one inbox insert and one handler call for all the messages, in one transaction.
    @available(*, noasync)
    private static func receiveAll(
        _ messages: [MailboxMessage],
        handler: any MailboxHandler,
        connection: PostgresConnection,
        service: String,
        epoch: Int64?,
        routes: MessageRoutes
    ) throws -> Outcome {
        let fresh = try Self.recordInInbox(messages, service: service, epoch: epoch, connection: connection)
        var turn = Turn(connection: connection, service: service, routes: routes)
        if !fresh.isEmpty {
            do {
                try handler.handle(batch: fresh, in: &turn)
                try turn.flush()
            } catch let error as PostgresError where error.isTransient {
                throw error
            } catch {
                throw HandlerFailure()
            }
        }
        return Outcome(fresh: Set(fresh.map(\.id)), failed: [], after: AfterCommit(turn))
    }

    /// After a handler threw: the messages again, bisected under savepoints until every failing message
    /// stands alone. The others commit; the failing ones leave the inbox again so that a retry handles them.
    @available(*, noasync)
    private static func receiveIsolating(
        _ messages: [MailboxMessage],
        handler: any MailboxHandler,
        connection: PostgresConnection,
        service: String,
        epoch: Int64?,
        routes: MessageRoutes
    ) throws -> Outcome {
        let fresh = try Self.recordInInbox(messages, service: service, epoch: epoch, connection: connection)
        var turn = Turn(connection: connection, service: service, routes: routes)
        var failed: [DeliveryReport.Failure] = []
        try Self.apply(fresh[...], handler: handler, turn: &turn, failed: &failed)
        if !failed.isEmpty {
            try connection.query(
                "DELETE FROM inbox WHERE receiver = $2 AND message_id = ANY($1::text[])",
                [PostgresArray(failed.map(\.messageID)), service])
        }
        return Outcome(fresh: Set(fresh.map(\.id)), failed: failed, after: AfterCommit(turn))
    }

    @available(*, noasync)
    private static func apply(
        _ messages: ArraySlice<MailboxMessage>, handler: any MailboxHandler, turn: inout Turn,
        failed: inout [DeliveryReport.Failure]
    ) throws {
        guard !messages.isEmpty else { return }
        let connection = turn.connection
        let mark = turn.mark
        try connection.query("SAVEPOINT batch")
        do {
            try handler.handle(batch: Array(messages), in: &turn)
            try turn.flush()
            try connection.query("RELEASE SAVEPOINT batch")
            return
        } catch let error as PostgresError where error.isTransient {
            throw error  // the database, not the handler, failed: retry the whole batch
        } catch {
            turn.discard(after: mark)
            try connection.query("ROLLBACK TO SAVEPOINT batch")
            try connection.query("RELEASE SAVEPOINT batch")
            if messages.count == 1, let message = messages.first {
                failed.append(.init(messageID: message.id, error: String(describing: error).prefix(2000).description))
                return
            }
        }
        let middle = messages.startIndex + messages.count / 2
        try Self.apply(messages[..<middle], handler: handler, turn: &turn, failed: &failed)
        try Self.apply(messages[middle...], handler: handler, turn: &turn, failed: &failed)
    }
}

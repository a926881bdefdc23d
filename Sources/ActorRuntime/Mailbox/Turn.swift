import Foundation

/// One handler turn: a Postgres transaction on the service's own database, in which the handler changes its
/// state and queues outgoing messages. Either all of it commits (and then the message is acked) or none.
///
/// Runs on a database thread: handlers are synchronous and may block on `connection` freely.
public struct Turn: ~Copyable {
    /// The turn's transaction, for the service's own queries.
    public let connection: PostgresConnection
    /// The service whose turn this is.
    public let service: String
    let routes: MessageRoutes
    /// Destinations that got messages, so their relays are woken after the commit.
    var touched: Set<String> = []
    /// Work to do once this turn has committed (never if it rolls back).
    var commitHooks: [@Sendable () -> Void] = []
    /// Delayed messages queued in this turn: destination and delay, so the relay wakes when they fall due.
    var delayed: [(String, Duration)] = []
    /// Messages sent in this turn, written to `outbox` in one statement before the commit.
    private var queued: [(message: OutgoingMessage, destination: String, delay: Duration?)] = []

    init(connection: PostgresConnection, service: String, routes: MessageRoutes) {
        self.connection = connection
        self.service = service
        self.routes = routes
    }

    /// Queues `message` for `destination`, delivered after this turn commits. (The outbox row is written at the
    /// end of the turn, so the turn's own queries do not see it.)
    @available(*, noasync)
    public mutating func send(_ message: OutgoingMessage, to destination: String) throws {
        try self.insert(message, destination: destination, delay: nil)
    }

    /// Queues `message` for every subscriber of its type (fan-out at write time: one row per subscriber).
    ///
    /// - Returns: the subscribers it went to.
    @available(*, noasync)
    @discardableResult
    public mutating func publish(_ message: OutgoingMessage) throws -> [String] {
        let subscribers = self.routes.subscribers(of: message.type)
        for subscriber in subscribers { try self.insert(message, destination: subscriber, delay: nil) }
        return subscribers
    }

    /// Queues `message` to this service itself, to be delivered no earlier than `delay` from now: a durable
    /// timer. It survives restarts (it is a row like any other) and is delivered through the inbox, once.
    @available(*, noasync)
    public mutating func schedule(_ message: OutgoingMessage, after delay: Duration) throws {
        // Due at the database's now() plus the delay: the relay compares with the same clock.
        try self.insert(message, destination: self.service, delay: delay)
        self.delayed.append((self.service, delay))
    }

    /// Largest payload a message may carry: one message must always fit in one delivery call.
    public static let maxPayloadBytes = 1 << 20

    private mutating func insert(_ message: OutgoingMessage, destination: String, delay: Duration?) throws {
        guard message.payload.count <= Self.maxPayloadBytes else {
            throw RuntimeError(
                .serializationFailed,
                "\(message.type) payload is \(message.payload.count) bytes; the limit is \(Self.maxPayloadBytes)")
        }
        self.queued.append((message, destination, delay))
        self.touched.insert(destination)
    }

    /// Writes the queued messages to `outbox` in one statement. The mailbox calls it before the commit.
    ///
    /// The payloads travel as one binary `bytea` parameter, cut apart by offset and length on the server: no
    /// hex or JSON on either side.
    @available(*, noasync)
    mutating func flush() throws {
        guard !self.queued.isEmpty else { return }
        let queued = self.queued
        self.queued.removeAll()
        var payloads: [UInt8] = []
        payloads.reserveCapacity(queued.reduce(0) { $0 + $1.message.payload.count })
        var offsets: [Int] = []
        var lengths: [Int] = []
        offsets.reserveCapacity(queued.count)
        lengths.reserveCapacity(queued.count)
        for entry in queued {
            offsets.append(payloads.count + 1)
            lengths.append(entry.message.payload.count)
            payloads.append(contentsOf: entry.message.payload)
        }
        let delayed = queued.contains { $0.delay != nil }
        try self.connection.query(
            """
            INSERT INTO outbox (message_id, destination, message_type, saga_id, not_before, payload)
            SELECT m, d, t, s, now() + n::float8 * interval '1 millisecond', substring($7::bytea FROM o FOR l)
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $8::int[]) AS x(m, d, t, s, n, o, l)
            """,
            [
                PostgresArray(queued.map(\.message.id)), PostgresArray(queued.map(\.destination)),
                PostgresArray(queued.map(\.message.type)), PostgresArray(queued.map(\.message.sagaID)),
                PostgresArray(
                    delayed
                        ? queued.map { $0.delay.map { String($0.seconds * 1000) } }
                        : Array(repeating: nil, count: queued.count)),
                PostgresIntArray(offsets), PostgresBytes(payloads), PostgresIntArray(lengths),
            ]
        )
    }

    /// Runs `body` after this turn commits (in-memory bookkeeping that must not run for a rolled-back turn).
    public mutating func onCommit(_ body: @escaping @Sendable () -> Void) {
        self.commitHooks.append(body)
    }

    /// A mark to roll back to when a savepoint is rolled back: messages queued and commit hooks so far.
    var mark: (queued: Int, hooks: Int) { (self.queued.count, self.commitHooks.count) }

    /// Forgets messages and hooks added after `mark` (their handler failed and its savepoint was rolled back).
    mutating func discard(after mark: (queued: Int, hooks: Int)) {
        self.queued.removeSubrange(mark.queued...)
        self.commitHooks.removeSubrange(mark.hooks...)
    }
}

/// Who subscribes to which message type, for `Turn.publish`.
public struct MessageRoutes: Sendable {
    private var subscribers: [String: [String]]

    public init(_ subscribers: [String: [String]] = [:]) {
        self.subscribers = subscribers
    }

    public func subscribers(of type: String) -> [String] { self.subscribers[type] ?? [] }
}

/// Handles the messages delivered to one service. Implement `handle(batch:in:)` (set-based: one statement per
/// kind of work for the whole batch) or `handle(_:in:)` (one message at a time), or both.
public protocol MailboxHandler: Sendable {
    /// Applies `messages` (fresh ones only, in arrival order) inside `turn`'s transaction. Throwing rolls the
    /// batch back; the mailbox then finds the failing message by bisection under savepoints, commits the
    /// others, and retries that one later (after too many failures it becomes a dead letter).
    @available(*, noasync)
    func handle(batch messages: [MailboxMessage], in turn: inout Turn) throws

    /// Applies one message inside `turn`'s transaction.
    @available(*, noasync)
    func handle(_ message: MailboxMessage, in turn: inout Turn) throws

    /// Which of `candidates` (dead letters this service sent, which an operator asked to replay) must not be
    /// sent again, and why; for example a command whose saga has finished, whose effect nobody wants any
    /// more. Runs in the replay's transaction, on this service's database. The default refuses none.
    @available(*, noasync)
    func refuseReplay(_ candidates: [ReplayCandidate], connection: PostgresConnection) throws -> [Int64: String]
}

/// A dead letter an operator asked to replay.
public struct ReplayCandidate: Sendable, Equatable {
    public var outboxID: Int64
    public var messageID: String
    public var type: String
    public var sagaID: String?
    public var destination: String
}

extension MailboxHandler {
    @available(*, noasync)
    public func handle(batch messages: [MailboxMessage], in turn: inout Turn) throws {
        for message in messages { try self.handle(message, in: &turn) }
    }

    @available(*, noasync)
    public func handle(_ message: MailboxMessage, in turn: inout Turn) throws {
        try self.handle(batch: [message], in: &turn)
    }

    @available(*, noasync)
    public func refuseReplay(_ candidates: [ReplayCandidate], connection: PostgresConnection) throws -> [Int64: String]
    {
        [:]
    }
}

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
    /// Messages sent in this turn, written to `outbox` in one statement before the commit.
    private var queued: [(message: OutgoingMessage, destination: String, notBefore: Date?)] = []

    init(connection: PostgresConnection, service: String, routes: MessageRoutes) {
        self.connection = connection
        self.service = service
        self.routes = routes
    }

    /// Queues `message` for `destination`, delivered after this turn commits. (The outbox row is written at the
    /// end of the turn, so the turn's own queries do not see it.)
    @available(*, noasync)
    public mutating func send(_ message: OutgoingMessage, to destination: String) throws {
        try self.insert(message, destination: destination, notBefore: nil)
    }

    /// Queues `message` for every subscriber of its type (fan-out at write time: one row per subscriber).
    ///
    /// - Returns: the subscribers it went to.
    @available(*, noasync)
    @discardableResult
    public mutating func publish(_ message: OutgoingMessage) throws -> [String] {
        let subscribers = self.routes.subscribers(of: message.type)
        for subscriber in subscribers { try self.insert(message, destination: subscriber, notBefore: nil) }
        return subscribers
    }

    /// Queues `message` to this service itself, to be delivered no earlier than `delay` from now: a durable
    /// timer. It survives restarts (it is a row like any other) and is delivered through the inbox, once.
    @available(*, noasync)
    public mutating func schedule(_ message: OutgoingMessage, after delay: Duration) throws {
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
        try self.insert(message, destination: self.service, notBefore: Date().addingTimeInterval(seconds))
    }

    /// Cancels this service's timers of `type` for `sagaID` that have not been delivered (a deadline whose step
    /// answered): they would only be delivered and ignored later. Timers queued in this turn are not affected.
    ///
    /// - Returns: how many were cancelled.
    @available(*, noasync)
    @discardableResult
    public mutating func cancelScheduled(type: String, sagaID: String) throws -> Int {
        try self.connection.query(
            """
            DELETE FROM outbox
            WHERE saga_id = $3 AND status = 0 AND not_before IS NOT NULL AND destination = $1 AND message_type = $2
            """,
            [self.service, type, sagaID]
        ).affected
    }

    /// Largest payload a message may carry: one message must always fit in one delivery call.
    public static let maxPayloadBytes = 1 << 20

    private mutating func insert(_ message: OutgoingMessage, destination: String, notBefore: Date?) throws {
        guard message.payload.utf8.count <= Self.maxPayloadBytes else {
            throw RuntimeError(
                .serializationFailed,
                "\(message.type) payload is \(message.payload.utf8.count) bytes; the limit is \(Self.maxPayloadBytes)")
        }
        self.queued.append((message, destination, notBefore))
        self.touched.insert(destination)
    }

    /// Writes the queued messages to `outbox` in one statement. The mailbox calls it before the commit.
    @available(*, noasync)
    mutating func flush() throws {
        guard !self.queued.isEmpty else { return }
        let queued = self.queued
        self.queued.removeAll()
        try self.connection.query(
            """
            INSERT INTO outbox (message_id, destination, message_type, saga_id, payload, not_before)
            SELECT m, d, t, s, p::jsonb, n::timestamptz
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS x(m, d, t, s, p, n)
            ON CONFLICT (destination, message_id) DO NOTHING
            """,
            [
                PostgresArray(queued.map(\.message.id)), PostgresArray(queued.map(\.destination)),
                PostgresArray(queued.map(\.message.type)), PostgresArray(queued.map(\.message.sagaID)),
                PostgresArray(queued.map(\.message.payload)), PostgresArray(queued.map { $0.notBefore?.postgresText }),
            ]
        )
    }

    /// Forgets queued messages (their handler failed and its savepoint was rolled back).
    mutating func discardQueued() {
        self.queued.removeAll()
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

/// Handles the messages delivered to one service.
public protocol MailboxHandler: Sendable {
    /// Applies `message` inside `turn`'s transaction. Throwing rolls the turn back: the message is retried,
    /// and after too many failures it becomes a dead letter.
    @available(*, noasync)
    func handle(_ message: MailboxMessage, in turn: inout Turn) throws
}

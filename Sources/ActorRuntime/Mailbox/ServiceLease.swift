import Logging
import Synchronization

/// The right to run one service, kept in the service's own database, so that two instances pointed at one
/// database never run handlers or relays at the same time.
///
/// - Holding: a session advisory lock on a connection of the lease's own. Postgres drops it the moment that
///   session ends: at once when the holder's process dies (its socket closes), and after `timeout` when the
///   holder goes silent (lost network, frozen process), because the session runs with `idle_session_timeout`
///   and the holder pings more often than that.
/// - Fencing: each new holder increments `service_lease.epoch`. Every turn of the service reads the row
///   `FOR SHARE` and refuses to commit under another epoch, so a holder that wakes from a pause after losing
///   the lock cannot write; the new holder's increment waits for turns already running.
/// - The holder gives the lease up itself when a ping fails or takes longer than half the timeout, before the
///   server could hand the lock to anyone else.
public final class ServiceLease: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// How long a silent holder keeps the lease (the server ends its session after this). Defaults to 6 s.
        public var timeout: Duration = .seconds(6)
        /// How often a standby tries to take the lease. Defaults to 1 s.
        public var retryInterval: Duration = .seconds(1)

        public init(timeout: Duration = .seconds(6), retryInterval: Duration = .seconds(1)) {
            self.timeout = timeout
            self.retryInterval = retryInterval
        }
    }

    /// A held lease.
    public struct Holding: Sendable {
        public var epoch: Int64
        /// The node that held it before, if another.
        public var previousNode: String?
    }

    public let service: String
    public let node: String
    public let configuration: Configuration
    private let database: PostgresClient.Configuration
    private let logger: Logger
    /// The connection that holds the lock, while held or being taken.
    private let client = Mutex<PostgresClient?>(nil)
    private let tries = Atomic<Int>(0)

    /// How many times `acquire` asked for the lock (for tests and logs).
    public var attempts: Int { self.tries.load(ordering: .relaxed) }

    public init(
        service: String, node: String, database: PostgresClient.Configuration, configuration: Configuration,
        logger: Logger
    ) {
        self.service = service
        self.node = node
        self.configuration = configuration
        var database = database
        database.poolSize = 1
        let milliseconds = max(1000, Int(configuration.timeout.seconds * 1000))
        database.sessionSetup = ["SET idle_session_timeout = \(milliseconds)"]
        // A connection whose peer vanished fails within the timeout instead of waiting for TCP's retransmissions.
        database.parameters["tcp_user_timeout"] = "\(milliseconds / 2)"
        database.parameters["keepalives_idle"] = "1"
        database.parameters["keepalives_interval"] = "1"
        database.parameters["keepalives_count"] = "\(max(1, milliseconds / 2000))"
        self.database = database
        self.logger = logger
    }

    deinit {
        self.client.withLock { $0?.shutdown() }
    }

    /// Waits until this instance holds the lease (trying every `retryInterval`), then takes the next epoch.
    ///
    /// - Throws: `CancellationError` when cancelled while standing by.
    public func acquire() async throws -> Holding {
        var failures = 0
        while true {
            try Task.checkCancellation()
            let client = self.client.withLock { client in
                if client == nil { client = PostgresClient(configuration: self.database, logger: self.logger) }
                return client!
            }
            self.tries.add(1, ordering: .relaxed)
            do {
                let got = try await client.query(
                    "SELECT pg_try_advisory_lock(hashtext('service-lease:' || $1)) AS got", [self.service])
                if try got.first?.bool("got") == true {
                    let row = try await client.query(
                        """
                        INSERT INTO service_lease AS l (service, node, epoch, acquired_at)
                        VALUES ($1, $2, 1, now())
                        ON CONFLICT (service) DO UPDATE SET epoch = l.epoch + 1, node = $2, acquired_at = now(),
                            previous_node = CASE WHEN l.node = $2 THEN l.previous_node ELSE l.node END,
                            failed_over_at = CASE WHEN l.node = $2 THEN l.failed_over_at ELSE now() END
                        RETURNING epoch, previous_node
                        """,
                        [self.service, self.node]
                    ).first
                    let holding = Holding(
                        epoch: Int64(try row?.int("epoch") ?? 0), previousNode: try row?.optionalString("previous_node")
                    )
                    self.logger.info(
                        "holds the lease",
                        metadata: [
                            "service": "\(self.service)", "epoch": "\(holding.epoch)",
                            "previous_node": "\(holding.previousNode ?? "-")",
                        ])
                    return holding
                }
                failures = 0
            } catch {
                failures += 1
                if failures == 1 {
                    self.logger.info(
                        "cannot reach the database for the lease",
                        metadata: ["service": "\(self.service)", "error": "\(error)"])
                }
                self.dropConnection()
            }
            try await Task.sleep(for: self.configuration.retryInterval)
        }
    }

    /// Pings the lock's session until it is lost (a ping fails, is late, or lands on a new session), then
    /// closes the connection so that the server releases the lock if it still holds it. Returns when lost or
    /// cancelled.
    public func watch() async {
        guard let client = self.client.withLock({ $0 }) else { return }
        let interval = self.configuration.timeout / 4
        let patience = self.configuration.timeout / 2
        var session: Int?
        while !Task.isCancelled {
            let pid = await Self.withDeadline(patience) {
                try await client.query("SELECT pg_backend_pid() AS pid").first?.int("pid")
            }
            guard let pid, session == nil || session == pid else {
                if !Task.isCancelled {
                    self.logger.warning(
                        "lost the lease",
                        metadata: [
                            "service": "\(self.service)",
                            "reason": "\(pid == nil ? "database silent or unreachable" : "session ended")",
                        ])
                }
                break
            }
            session = pid
            try? await Task.sleep(for: interval)
        }
        self.dropConnection()
    }

    /// Gives the lease up (its session ends); another instance may take it at once.
    public func release() {
        self.dropConnection()
    }

    private func dropConnection() {
        self.client.withLock { client in
            client?.shutdown()
            client = nil
        }
    }

    /// `body`'s result, or nil if it failed or took longer than `deadline`: a blocked libpq call cannot be
    /// cancelled, so it is left to finish alone.
    private static func withDeadline<T: Sendable>(
        _ deadline: Duration, _ body: @escaping @Sendable () async throws -> T?
    ) async -> T? {
        await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            Task { once.resume(returning: (try? await body()) ?? nil) }
            Task {
                try? await Task.sleep(for: deadline)
                once.resume(returning: nil)
            }
        }
    }
}

/// A continuation resumed by whichever of several tasks finishes first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private let continuation: Mutex<CheckedContinuation<T, Never>?>

    init(_ continuation: CheckedContinuation<T, Never>) { self.continuation = Mutex(continuation) }

    func resume(returning value: T) { self.continuation.withLock { $0.take() }?.resume(returning: value) }
}

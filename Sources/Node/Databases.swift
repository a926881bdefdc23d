import ActorRuntime
import ShopActors
import Logging
import ServiceLifecycle

/// The databases of the services a process hosts: the embedded server when needed, one database and role per
/// service, the mailbox tables in each. Stops the embedded server at shutdown if this process started it.
final class Databases: Service, Sendable {
    let clients: [String: PostgresClient]
    private let embedded: EmbeddedPostgres?
    private let startedEmbedded: Bool
    private let logger: Logger

    private init(clients: [String: PostgresClient], embedded: EmbeddedPostgres?, startedEmbedded: Bool, logger: Logger)
    {
        self.clients = clients
        self.embedded = embedded
        self.startedEmbedded = startedEmbedded
        self.logger = logger
    }

    static func prepare(_ config: ClusterConfig, services: [String], logger: Logger) async throws -> Databases {
        var embedded: EmbeddedPostgres?
        var started = false
        if services.contains(where: { config.postgres.urls[$0] == nil }) {
            var configuration = EmbeddedPostgres.Configuration()
            configuration.port = config.postgres.embeddedPort
            configuration.directory = config.postgres.embeddedDirectory
            let server = EmbeddedPostgres(configuration: configuration, logger: logger)
            started = try await server.start()
            embedded = server
        }
        var clients: [String: PostgresClient] = [:]
        for service in services {
            let url: String
            if let explicit = config.postgres.urls[service] {
                url = explicit
            } else {
                url = try await embedded!.ensureDatabase(service)
            }
            var configuration = PostgresClient.Configuration(url: url)
            if let lease = config.options.lease {
                // A process frozen inside a turn must not hold its row locks (nor the lease row) past the lease:
                // the server ends such a session, and the new holder's epoch can be written.
                configuration.sessionSetup.append(
                    "SET idle_in_transaction_session_timeout = \(Int(lease.timeout.seconds * 1000))")
            }
            let client = PostgresClient(configuration: configuration, logger: logger)
            try await Self.untilReachable(service, logger: logger) {
                try await ServiceSchema.migrate(service, client: client)
            }
            clients[service] = client
            logger.info("database ready", metadata: ["service": "\(service)"])
        }
        return Databases(clients: clients, embedded: embedded, startedEmbedded: started, logger: logger)
    }

    /// Runs `body` until it gets past a database that cannot be reached yet (a server still starting, a network
    /// still coming up), for up to two minutes; any other error at once.
    private static func untilReachable(_ service: String, logger: Logger, _ body: () async throws -> Void) async throws
    {
        let deadline = ContinuousClock.now + .seconds(120)
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let error as PostgresError where error.isConnectionFailure && ContinuousClock.now < deadline {
                attempt += 1
                if attempt == 1 {
                    logger.warning(
                        "database not reachable yet; retrying",
                        metadata: ["service": "\(service)", "error": "\(error)"])
                }
                try await Task.sleep(for: .milliseconds(min(2000, 100 * (1 << min(attempt, 5)))))
            }
        }
    }

    /// Waits for shutdown, then closes the pools and stops the embedded server if this process started it.
    func run() async throws {
        try? await gracefulShutdown()
        for client in self.clients.values { client.shutdown() }
        if self.startedEmbedded, let embedded = self.embedded {
            self.logger.info("stopping embedded Postgres")
            try await embedded.stop()
        }
    }
}

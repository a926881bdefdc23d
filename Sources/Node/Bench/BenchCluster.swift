import ActorRuntime
import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import ShopActors

/// The default three-node cluster, started in this process for `bench orders`: its own embedded Postgres
/// (`.data/bench-postgres`), fresh databases each run, free ports, stock raised so no order runs out.
final class BenchCluster: Sendable {
    let httpPort: Int
    let databases: Databases
    let server: EmbeddedPostgres
    let startedServer: Bool
    private let group: ServiceGroup
    private let run: Task<Void, any Error>
    /// The benchmark's own databases, for commit counts.
    static let databaseNames = ClusterConfig.knownServices.map { "bench_\($0)" }

    private init(httpPort: Int, databases: Databases, server: EmbeddedPostgres, startedServer: Bool, group: ServiceGroup) {
        self.httpPort = httpPort
        self.databases = databases
        self.server = server
        self.startedServer = startedServer
        self.group = group
        self.run = Task { try await group.run() }
    }

    static func start(postgresPort: Int, options: ServiceOptions, logger: Logger) async throws -> BenchCluster {
        var pg = EmbeddedPostgres.Configuration()
        pg.directory = ".data/bench-postgres"
        pg.port = postgresPort
        pg.maxConnections = 300
        let server = EmbeddedPostgres(configuration: pg, logger: logger)
        let started = try await server.start()
        var config = ClusterConfig(cluster: "bench", secret: "bench-secret-\(UInt64.random(in: 0...UInt64.max))", nodes: [])
        config.options = options
        let placement = [("edge", ["gateway"]), ("orders", ["order", "order-saga", "order-history"]), ("stock", ["product", "inventory", "payment"])]
        let httpPort = try await Self.freePort()
        for (name, services) in placement {
            config.nodes.append(.init(
                name: name, host: "127.0.0.1", port: try await Self.freePort(), services: services,
                http: name == "edge" ? .init(host: "127.0.0.1", port: httpPort) : nil))
        }
        for service in ClusterConfig.knownServices {
            try await server.dropDatabase("bench_\(service)")
            config.postgres.urls[service] = try await server.ensureDatabase("bench_\(service)")
        }
        let databases = try await Databases.prepare(config, services: ClusterConfig.knownServices, logger: logger)
        try await databases.clients["inventory"]!.query("UPDATE inventory SET quantity = 1000000000")
        let systems = NodeFactory.makeSystems(config, only: nil, logger: logger)
        let hosts = NodeFactory.makeServiceHosts(config, systems: systems, databases: databases, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: systems.map { .init(service: $0) } + hosts.map { .init(service: $0) }, logger: logger))
        return BenchCluster(httpPort: httpPort, databases: databases, server: server, startedServer: started, group: group)
    }

    /// Commits so far in the benchmark's databases (Postgres's own counters).
    func commits() async throws -> Int {
        let client = self.databases.clients["gateway"]!
        try await client.query("SELECT pg_stat_force_next_flush()")
        let names = "{" + Self.databaseNames.joined(separator: ",") + "}"
        return try await client.query(
            "SELECT sum(xact_commit)::bigint AS n FROM pg_stat_database WHERE datname = ANY($1::text[])", [names]
        ).first?.int("n") ?? 0
    }

    /// Orders of `ids` that order history shows in a terminal status, with that status.
    func finished(_ ids: [String]) async throws -> [(String, String)] {
        guard !ids.isEmpty else { return [] }
        return try await self.databases.clients["order-history"]!.query(
            "SELECT id, status FROM order_history WHERE id = ANY($1::text[]) AND status IN ('order_completed', 'order_cancelled')",
            [PostgresArray(ids)]
        ).rows.map { (try $0.string("id"), try $0.string("status")) }
    }

    func stop() async throws {
        await self.group.triggerGracefulShutdown()
        _ = await self.run.result
        for client in self.databases.clients.values { client.shutdown() }
        if self.startedServer { try await self.server.stop() }
    }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}

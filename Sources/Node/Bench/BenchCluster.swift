import ActorRuntime
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ShopActors
import HTTPTestSupport

/// The default three-node cluster for `bench orders`, run as a child `node` process (so its CPU time is its
/// own, apart from the load generator's) on the benchmark's own embedded Postgres (`.data/bench-postgres`,
/// `pg_stat_statements` preloaded): fresh databases each run, free ports, stock raised so no order runs out.
final class BenchCluster: Sendable {
    let httpPort: Int
    let server: EmbeddedPostgres
    let startedServer: Bool
    /// The server's `postgres` database as superuser: counters and `pg_stat_statements`.
    let admin: PostgresClient
    let historyURL: String
    /// Each service's database URL.
    let urls: [String: String]
    let nodePID: Int32
    private let process: Process
    static let databaseNames = ShopService.names.map { "bench_\(EmbeddedPostgres.databaseName(for: $0))" }
    /// Where the node's configuration and log go.
    static let directory = ".data/bench"
    /// The channel a bench-only trigger on order history notifies when an order reaches a final status.
    static let finalChannel = "bench_final"

    private init(
        httpPort: Int, server: EmbeddedPostgres, startedServer: Bool, admin: PostgresClient, urls: [String: String],
        process: Process
    ) {
        self.httpPort = httpPort
        self.server = server
        self.startedServer = startedServer
        self.admin = admin
        self.historyURL = urls["order-history"]!
        self.urls = urls
        self.process = process
        self.nodePID = process.processIdentifier
    }

    static func start(postgresPort: Int, options: ServiceOptions, extraConfig: String, logger: Logger) async throws
        -> BenchCluster
    {
        var pg = EmbeddedPostgres.Configuration()
        pg.directory = ".data/bench-postgres"
        pg.port = postgresPort
        pg.maxConnections = 300
        pg.settings = ["shared_preload_libraries": "pg_stat_statements"]
        let server = EmbeddedPostgres(configuration: pg, logger: logger)
        var started = try await server.start()
        let admin = PostgresClient(configuration: .init(url: server.adminURL).with(poolSize: 2), logger: logger)
        if try await admin.query("SELECT current_setting('shared_preload_libraries') AS s").first?.string("s")
            .contains("pg_stat_statements") != true
        {
            // Left running by an older benchmark without the statistics: restart it with them.
            try await server.restart()
            started = true
        }
        var urls: [String: String] = [:]
        for service in ShopService.names {
            try await server.dropDatabase("bench_\(service)")
            urls[service] = try await server.ensureDatabase("bench_\(service)")
        }
        var config = ClusterConfig(
            cluster: "bench", secret: "bench-secret-\(UInt64.random(in: 0...UInt64.max))", nodes: [])
        config.postgres.urls = urls
        config.options = options
        let databases = try await Databases.prepare(config, services: ShopService.names, logger: logger)
        try await databases.clients["inventory"]!.query("UPDATE inventory SET quantity = 1000000000")
        try await Self.installFinalTrigger(databases.clients["order-history"]!)
        for client in databases.clients.values { client.shutdown() }

        let httpPort = try await Self.freePort()
        var toml = """
            # Written by `node bench orders`; the benchmark's own cluster.
            cluster = "bench"
            secret = "\(config.secret)"

            """
        for (name, services) in ShopService.defaultPlacement {
            toml += """
                [nodes.\(name)]
                address = "127.0.0.1:\(try await Self.freePort())"
                services = [\(services.map { "\"\($0)\"" }.joined(separator: ", "))]
                \(name == "edge" ? "http = \"127.0.0.1:\(httpPort)\"" : "")

                """
        }
        toml +=
            "[postgres.urls]\n" + urls.sorted { $0.key < $1.key }.map { "\"\($0.key)\" = \"\($0.value)\"\n" }.joined()
        toml += "\n[mailbox]\nbatch_size = \(options.mailbox.batchSize)\n[payment]\nshared_demo_methods = true\n"
        // The load generator registers all its users from one address.
        let registrations = "max_registrations_per_client = 1000000\n"
        toml +=
            extraConfig.contains("[gateway]")
            ? extraConfig.replacingOccurrences(of: "[gateway]\n", with: "[gateway]\n" + registrations)
            : extraConfig + "\n[gateway]\n" + registrations
        try FileManager.default.createDirectory(atPath: Self.directory, withIntermediateDirectories: true)
        let configPath = Self.directory + "/cluster.conf"
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)

        let logPath = Self.directory + "/node.log"
        guard FileManager.default.createFile(atPath: logPath, contents: nil) else {
            throw BenchError("cannot create \(logPath)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = ["run", "--config", configPath, "--log-level", "warning"]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let cluster = BenchCluster(
            httpPort: httpPort, server: server, startedServer: started, admin: admin, urls: urls,
            process: process)
        do {
            try await cluster.waitForHealth(logPath: logPath)
        } catch {
            try? await cluster.stop()
            throw error
        }
        return cluster
    }

    /// A notification per order that reaches a final status in history ("<id> <status>"), so the benchmark
    /// learns of it without re-reading pending orders. Only the benchmark's own databases get it.
    private static func installFinalTrigger(_ history: PostgresClient) async throws {
        try await history.withConnection { connection in
            try connection.executeScript(
                """
                CREATE OR REPLACE FUNCTION bench_notify_final() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_notify('\(Self.finalChannel)', NEW.id || ' ' || NEW.status); RETURN NULL; END $$;
                CREATE TRIGGER bench_final_insert AFTER INSERT ON order_history FOR EACH ROW
                    WHEN (NEW.status IN ('order_completed', 'order_cancelled')) EXECUTE FUNCTION bench_notify_final();
                CREATE TRIGGER bench_final_update AFTER UPDATE OF status ON order_history FOR EACH ROW
                    WHEN (NEW.status IN ('order_completed', 'order_cancelled') AND OLD.status IS DISTINCT FROM NEW.status)
                    EXECUTE FUNCTION bench_notify_final();
                """)
        }
    }

    private func waitForHealth(logPath: String) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            guard self.process.isRunning else {
                let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
                throw BenchError("the node process exited (\(self.process.terminationStatus)): \(log.suffix(2000))")
            }
            if let http = try? await HTTPTestClient(host: "127.0.0.1", port: self.httpPort) {
                let response = try? await http.request(.GET, "/health")
                await http.close()
                if response?.status == 200 { return }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchError("the node process did not serve /health within 120 s; see \(logPath)")
    }

    /// CPU seconds so far: the node process, and the Postgres server with every backend.
    func cpu() -> (node: Double, postgres: Double) {
        let node = ProcessCPU.times(self.nodePID)?.own ?? 0
        let postmaster = EmbeddedPostgres.runningPID(directory: self.server.configuration.directory)
        return (node, postmaster.map(ProcessCPU.treeSeconds) ?? 0)
    }

    /// Orders of `ids` that order history shows in a final status, with that status (a last look for
    /// notifications that could have been missed).
    func finished(_ ids: [String]) async throws -> [(String, String)] {
        guard !ids.isEmpty else { return [] }
        let client = PostgresClient(configuration: .init(url: self.historyURL).with(poolSize: 1))
        defer { client.shutdown() }
        return try await client.query(
            "SELECT id, status FROM order_history WHERE id = ANY($1::text[]) AND status IN ('order_completed', 'order_cancelled')",
            [PostgresArray(ids)]
        ).rows.map { (try $0.string("id"), try $0.string("status")) }
    }

    func stop() async throws {
        if self.process.isRunning { kill(self.nodePID, SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(30)
        while self.process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        if self.process.isRunning { kill(self.nodePID, SIGKILL) }
        self.admin.shutdown()
        if self.startedServer { try await self.server.stop() }
    }

    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
            host: "127.0.0.1", port: 0
        ).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        return port
    }
}

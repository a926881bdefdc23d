import ActorRuntime
import Foundation

/// The Postgres server of the test run: a real one, the project's embedded server under
/// `.data/test-postgres` (started here if `make test` has not started it), on a free port.
/// There is no fallback: without the `postgresql` package the tests fail and say why.
public enum TestPostgres {
    public static let directory = ".data/test-postgres"

    private static let started = Task { () throws -> EmbeddedPostgres in
        var configuration = EmbeddedPostgres.Configuration()
        configuration.directory = Self.directory
        // Suites run in parallel, each with pools for several services.
        configuration.maxConnections = 1000
        // Each run creates a few hundred databases (a few GB of writes); without forced flushes the disk keeps
        // up, and the timing tests test the code rather than the disk. Commits stay synchronous (a killed server
        // keeps what it acknowledged: the OS still has it); only an OS crash could lose them, which no test makes.
        configuration.settings = ["fsync": "off", "full_page_writes": "off"]
        let running = EmbeddedPostgres.runningPort(directory: Self.directory)
        if let running {
            configuration.port = running
        } else if let fromEnvironment = ProcessInfo.processInfo.environment["SHOP_TEST_POSTGRES_PORT"].flatMap(Int.init)
        {
            configuration.port = fromEnvironment
        } else {
            configuration.port = try await TestSettings.freePort()
        }
        if running == nil {
            // A new run starts from an empty server: the databases every run leaves behind made it slow enough
            // (53 GB after a day of runs, autovacuum busy) to fail timing tests.
            for path in [Self.directory, Self.directory + ".password"] {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        let server = EmbeddedPostgres(configuration: configuration)
        try await server.start()
        return server
    }

    public static var server: EmbeddedPostgres {
        get async throws { try await Self.started.value }
    }

    /// A new, empty database for one test; its URL.
    public static func freshDatabase(_ prefix: String = "t") async throws -> String {
        let name = "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
        return try await Self.server.ensureDatabase(name)
    }

    public static func client(_ url: String, poolSize: Int = 4) -> PostgresClient {
        var configuration = PostgresClient.Configuration(url: url)
        configuration.poolSize = poolSize
        return PostgresClient(configuration: configuration)
    }
}

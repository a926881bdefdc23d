import ActorRuntime
import Foundation
import Logging

/// The server's commit ceiling, the baseline both Postgres benchmarks report against: single-row INSERT
/// transactions, back to back, on `connections` connections.
enum CommitBaseline {
    /// Commits per second on `client` (its pool should hold `connections` connections).
    static func insertsPerSecond(_ client: PostgresClient, connections: Int, seconds: Double) async throws -> Double {
        try await client.query("CREATE TABLE IF NOT EXISTS rows (id BIGSERIAL PRIMARY KEY, body TEXT NOT NULL)")
        let start = ContinuousClock.now
        let deadline = start + .nanoseconds(Int64(seconds * 1e9))
        let commits = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    var count = 0
                    while ContinuousClock.now < deadline {
                        try await client.query("INSERT INTO rows (body) VALUES ($1)", ["baseline"])
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        return Double(commits) / (ContinuousClock.now - start).seconds
    }

    /// The baseline on a fresh `bench_base` database of `server`, with the durability settings it ran under.
    static func measure(server: EmbeddedPostgres, connections: Int, seconds: Double, logger: Logger) async throws
        -> (commitsPerSecond: Double, fsync: String, synchronousCommit: String)
    {
        try await server.dropDatabase("bench_base")
        var configuration = PostgresClient.Configuration(url: try await server.ensureDatabase("bench_base"))
        configuration.poolSize = connections
        let client = PostgresClient(configuration: configuration, logger: logger)
        defer { client.shutdown() }
        let settings = try await client.query(
            "SELECT current_setting('fsync') AS f, current_setting('synchronous_commit') AS s"
        ).first
        let perSecond = try await Self.insertsPerSecond(client, connections: connections, seconds: seconds)
        return (perSecond, try settings?.string("f") ?? "?", try settings?.string("s") ?? "?")
    }
}

import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

@Suite struct PostgresClientTests {
    @Test func parametersRoundTripUnchangedIncludingSQLLookingText() async throws {
        let client = TestPostgres.client(try await TestPostgres.freshDatabase())
        defer { client.shutdown() }
        try await client.query(
            "CREATE TABLE notes (id SERIAL PRIMARY KEY, body TEXT NOT NULL, n BIGINT, at TIMESTAMPTZ, raw BYTEA)")
        let nasty = "Robert'); DROP TABLE notes;-- \"quoted\" ; \\ back\\slash ✓"
        let at = Date(timeIntervalSince1970: 1_700_000_000.123456)
        try await client.query(
            "INSERT INTO notes (body, n, at, raw) VALUES ($1, $2, $3, $4)",
            [nasty, Int64.max, at, PostgresBytes([0, 1, 0xFF])]
        )
        try await client.query("INSERT INTO notes (body, n) VALUES ($1, $2)", ["second", nil])
        let rows = try await client.query("SELECT * FROM notes ORDER BY id")
        #expect(rows.count == 2)
        #expect(try rows.rows[0].string("body") == nasty)
        #expect(try rows.rows[0].int("n") == Int.max)
        #expect(abs(try rows.rows[0].date("at").timeIntervalSince(at)) < 0.000_002)
        #expect(try rows.rows[0].bytes("raw") == [0, 1, 0xFF])
        #expect(try rows.rows[1].optionalInt("n") == nil)
    }

    @Test func transactionsRollBackOnThrowAndErrorsCarrySQLState() async throws {
        let client = TestPostgres.client(try await TestPostgres.freshDatabase())
        defer { client.shutdown() }
        try await client.query("CREATE TABLE t (id INT PRIMARY KEY)")
        struct Boom: Error {}
        await #expect(throws: Boom.self) {
            try await client.transaction { connection in
                try connection.query("INSERT INTO t VALUES (1)")
                throw Boom()
            }
        }
        #expect(try await client.query("SELECT * FROM t").count == 0)
        try await client.query("INSERT INTO t VALUES (1)")
        do {
            try await client.query("INSERT INTO t VALUES (1)")
            Issue.record("expected a unique violation")
        } catch let error as PostgresError {
            #expect(error.sqlState == "23505")
            #expect(error.isUniqueViolation)
            #expect(!error.isTransient)
        }
        do {
            try await client.query("SELEKT 1")
            Issue.record("expected a syntax error")
        } catch let error as PostgresError {
            #expect(error.sqlState == "42601")
        }
    }

    @Test func unreachableServerGivesAConnectionError() async throws {
        let client = TestPostgres.client("postgresql://nobody@127.0.0.1:1/none", poolSize: 1)
        defer { client.shutdown() }
        do {
            try await client.query("SELECT 1")
            Issue.record("expected a connection error")
        } catch let error as PostgresError {
            #expect(error.isConnectionFailure)
            #expect(error.isTransient)
        }
    }

    @Test func migrationsApplyOnceInOrderEvenWhenRacing() async throws {
        let url = try await TestPostgres.freshDatabase()
        let migrations = [
            Migration(
                version: 1, name: "create", sql: "CREATE TABLE m (id INT PRIMARY KEY); INSERT INTO m VALUES (1);"),
            Migration(version: 2, name: "more", sql: "INSERT INTO m VALUES (2);"),
        ]
        let clients = (0..<4).map { _ in TestPostgres.client(url, poolSize: 1) }
        defer { clients.forEach { $0.shutdown() } }
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for client in clients {
                group.addTask { try await MigrationRunner.apply(migrations, namespace: "test", client: client) }
            }
            return try await group.reduce(into: [Int]()) { $0 += $1 }
        }
        #expect(applied.sorted() == [1, 2])
        #expect(try await clients[0].query("SELECT id FROM m ORDER BY id").rows.map { try $0.int("id") } == [1, 2])
        let again = try await MigrationRunner.apply(migrations, namespace: "test", client: clients[0])
        #expect(again.isEmpty)
        let broken = [Migration(version: 3, name: "broken", sql: "INSERT INTO m VALUES (3); SELEKT;")]
        await #expect(throws: PostgresError.self) {
            try await MigrationRunner.apply(broken, namespace: "test", client: clients[0])
        }
        // The failed migration left nothing behind.
        #expect(try await clients[0].query("SELECT count(*) AS n FROM m").first?.int("n") == 2)
    }
}

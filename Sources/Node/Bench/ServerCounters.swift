import ActorRuntime
import Foundation

/// What the Postgres server did for a set of databases between two readings: commits, rows written,
/// statements run (pg_stat_statements) and WAL written. Read through a superuser connection to the
/// server's `postgres` database, where `pg_stat_statements` is created.
struct ServerCounters: Sendable {
    var commits = 0
    var rowsWritten = 0
    var statements = 0
    var walBytes = 0

    static func - (a: Self, b: Self) -> Self {
        Self(
            commits: a.commits - b.commits, rowsWritten: a.rowsWritten - b.rowsWritten,
            statements: a.statements - b.statements,
            walBytes: a.walBytes - b.walBytes)
    }

    /// One statement's share, for the "where the time goes" table.
    struct Statement: Sendable {
        var database: String
        var calls: Int
        var totalMs: Double
        var rows: Int
        var query: String
    }

    /// Creates `pg_stat_statements` (the server must preload it) and forgets what it counted so far.
    static func reset(_ admin: PostgresClient) async throws {
        try await admin.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        try await admin.query("SELECT pg_stat_statements_reset()")
        try await admin.query("SELECT pg_stat_reset_shared('wal')")
    }

    static func read(_ admin: PostgresClient, databases: [String]) async throws -> ServerCounters {
        // Backends publish their counters when idle, at most once a second; wait until two readings agree on
        // the rows written (commits alone never settle: the cluster's own polls are read-only transactions).
        var previous: ServerCounters?
        for _ in 0..<20 {
            let current = try await Self.readOnce(admin, databases: databases)
            if let previous, previous.rowsWritten == current.rowsWritten {
                return current
            }
            previous = current
            try await Task.sleep(for: .milliseconds(600))
        }
        return previous ?? ServerCounters()
    }

    private static func readOnce(_ admin: PostgresClient, databases: [String]) async throws -> ServerCounters {
        let names = PostgresArray(databases)
        let row = try await admin.query(
            """
            SELECT (SELECT sum(xact_commit)::bigint FROM pg_stat_database WHERE datname = ANY($1::text[])) AS commits,
                   (SELECT sum(tup_inserted + tup_updated + tup_deleted)::bigint FROM pg_stat_database
                    WHERE datname = ANY($1::text[])) AS rows,
                   (SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
                    WHERE d.datname = ANY($1::text[])) AS statements,
                   pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS wal
            """,
            [names]
        ).first
        return ServerCounters(
            commits: try row?.int("commits") ?? 0, rowsWritten: try row?.int("rows") ?? 0,
            statements: try row?.int("statements") ?? 0, walBytes: try row?.int("wal") ?? 0)
    }

    /// The statements that took the most server time since the last reset.
    static func top(_ admin: PostgresClient, databases: [String], limit: Int) async throws -> [Statement] {
        try await admin.query(
            """
            SELECT d.datname, s.calls, s.total_exec_time::float8 AS ms, s.rows, s.query
            FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
            WHERE d.datname = ANY($1::text[]) ORDER BY s.total_exec_time DESC LIMIT $2
            """,
            [PostgresArray(databases), limit]
        ).rows.map {
            Statement(
                database: try $0.string("datname"), calls: try $0.int("calls"), totalMs: try $0.double("ms"),
                rows: try $0.int("rows"), query: try $0.string("query"))
        }
    }
}

import Foundation
import Logging

/// A numbered schema change, applied once per database inside a transaction.
public struct Migration: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Reads `NNNN_name.sql` files from a directory, ordered by number.
    ///
    /// - Throws: if a file name does not start with a number, or two files share one.
    public static func load(directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
        var migrations: [Migration] = []
        for file in files {
            let base = file.deletingPathExtension().lastPathComponent
            guard let underscore = base.firstIndex(of: "_"), let version = Int(base[..<underscore]) else {
                throw PostgresError(
                    sqlState: nil, message: "migration file \(file.lastPathComponent) must be NNNN_name.sql")
            }
            let sql = try String(contentsOf: file, encoding: .utf8)
            migrations.append(
                Migration(version: version, name: String(base[base.index(after: underscore)...]), sql: sql))
        }
        migrations.sort { $0.version < $1.version }
        for (a, b) in zip(migrations, migrations.dropFirst()) where a.version == b.version {
            throw PostgresError(sqlState: nil, message: "two migrations numbered \(a.version)")
        }
        return migrations
    }
}

/// Applies migrations, each once, recording them in `schema_migrations` under a namespace (the runtime's
/// mailbox tables and a service's own tables live side by side in one database).
public enum MigrationRunner {
    /// Applies what is missing, in order, each in its own transaction.
    ///
    /// Safe when several processes start at once: a transaction-scoped advisory lock serialises them, and
    /// each re-checks what is applied after taking it.
    ///
    /// - Returns: the versions applied now.
    @discardableResult
    public static func apply(
        _ migrations: [Migration],
        namespace: String,
        client: PostgresClient,
        logger: Logger = Logger(label: "migrations")
    ) async throws -> [Int] {
        do {
            try await client.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    namespace TEXT NOT NULL,
                    version INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                    PRIMARY KEY (namespace, version)
                )
                """
            )
        } catch let error as PostgresError
            where error.isUniqueViolation || error.sqlState == "42P07" || error.sqlState == "42710"
        {
            // Another process created it at the same moment: `IF NOT EXISTS` does not cover that race.
        }
        var applied: [Int] = []
        for migration in migrations {
            let didApply = try await client.transaction { connection -> Bool in
                try connection.query("SELECT pg_advisory_xact_lock(hashtext('schema_migrations'))")
                let existing = try connection.query(
                    "SELECT 1 FROM schema_migrations WHERE namespace = $1 AND version = $2",
                    [namespace, migration.version]
                )
                guard existing.count == 0 else { return false }
                try connection.executeScript(migration.sql)
                try connection.query(
                    "INSERT INTO schema_migrations (namespace, version, name) VALUES ($1, $2, $3)",
                    [namespace, migration.version, migration.name]
                )
                return true
            }
            if didApply {
                logger.info(
                    "applied migration",
                    metadata: [
                        "namespace": "\(namespace)", "version": "\(migration.version)", "name": "\(migration.name)",
                    ])
                applied.append(migration.version)
            }
        }
        return applied
    }
}

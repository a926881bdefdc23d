import ActorRuntime
import Foundation
import Logging

/// Each service's own migrations: numbered `.sql` files under `Schema/<service>/`, shipped as resources.
public enum ServiceSchema {
    /// The migrations of `service` (namespace = the service name in `schema_migrations`).
    ///
    /// - Throws: if the service has no schema folder, or a file is misnamed.
    public static func migrations(for service: String) throws -> [Migration] {
        guard let root = Bundle.module.url(forResource: "Schema", withExtension: nil),
            FileManager.default.fileExists(atPath: root.appendingPathComponent(service).path)
        else {
            throw PostgresError(sqlState: nil, message: "no schema for service \(service)")
        }
        let folder = root.appendingPathComponent(service)
        return try Migration.load(directory: folder)
    }

    /// Applies the mailbox tables and the service's own tables to its database.
    public static func migrate(_ service: String, client: PostgresClient, logger: Logger = Logger(label: "migrations"))
        async throws
    {
        try await MailboxSchema.migrate(service: service, client: client, logger: logger)
        try await MigrationRunner.apply(
            try Self.migrations(for: service), namespace: service, client: client, logger: logger)
    }
}

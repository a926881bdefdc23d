import Logging

/// The mailbox's tables, created in every service database (namespace `mailbox` in `schema_migrations`).
///
/// `outbox.status`: 0 pending, 2 dead letter (1, delivered, was used before acknowledged rows were deleted).
/// Rows are read by status, never by "id greater than the last one seen" (ids commit out of order).
///
/// Every index costs a write per message, so the outbox has one: the pending rows of each destination in id
/// order, which both reading and acknowledging use. Acknowledged rows are deleted (no index write, and the
/// table stays the size of the queue). The inbox has its key and a BRIN index on arrival time for pruning
/// (almost free to maintain, as rows arrive in time order).
public enum MailboxSchema {
    public static let migrations: [Migration] = [
        Migration(
            version: 1,
            name: "mailbox",
            sql: """
                CREATE TABLE outbox (
                    id BIGSERIAL PRIMARY KEY,
                    message_id TEXT NOT NULL,
                    destination TEXT NOT NULL,
                    message_type TEXT NOT NULL,
                    saga_id TEXT,
                    payload JSONB NOT NULL,
                    status SMALLINT NOT NULL DEFAULT 0,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT,
                    not_before TIMESTAMPTZ,
                    created_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(),
                    delivered_at TIMESTAMPTZ,
                    UNIQUE (destination, message_id)
                );
                CREATE INDEX outbox_pending ON outbox (destination, id) WHERE status = 0;
                CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE status = 1;
                CREATE INDEX outbox_dead ON outbox (id) WHERE status = 2;

                CREATE TABLE inbox (
                    message_id TEXT PRIMARY KEY,
                    source TEXT NOT NULL,
                    message_type TEXT NOT NULL,
                    received_at TIMESTAMPTZ NOT NULL DEFAULT now()
                );
                CREATE INDEX inbox_received ON inbox (received_at);
                """
        ),
        Migration(
            version: 2,
            name: "scheduled_by_saga",
            // Finds the pending timers of one saga (to cancel them) without scanning the queue.
            sql: "CREATE INDEX outbox_scheduled_saga ON outbox (saga_id) WHERE status = 0 AND not_before IS NOT NULL;"
        ),
        Migration(
            version: 3,
            name: "lean_outbox",
            sql: """
                DELETE FROM outbox WHERE status = 1;
                DROP INDEX outbox_delivered;
                DROP INDEX outbox_dead;
                DROP INDEX outbox_scheduled_saga;
                ALTER TABLE outbox DROP CONSTRAINT outbox_destination_message_id_key;
                ALTER TABLE outbox DROP CONSTRAINT outbox_pkey;
                ALTER TABLE outbox DROP COLUMN delivered_at;
                -- Payloads are the services' own bytes now; rows written before keep their JSON text as bytes.
                ALTER TABLE outbox ALTER COLUMN payload TYPE bytea USING convert_to(payload::text, 'UTF8');
                DROP INDEX inbox_received;
                CREATE INDEX inbox_received ON inbox USING brin (received_at);
                """
        ),
        Migration(
            version: 4,
            name: "inbox_per_receiver",
            // An event goes to every subscriber with one id: the inbox key is (receiving service, id), so two
            // services on one database could not swallow each other's copies. Rows written before belong to
            // the service that owns the database; `MailboxSchema.migrate` fills them in.
            sql: """
                ALTER TABLE inbox ADD COLUMN receiver TEXT NOT NULL DEFAULT '';
                ALTER TABLE inbox DROP CONSTRAINT inbox_pkey;
                ALTER TABLE inbox ADD PRIMARY KEY (receiver, message_id);
                """
        ),
        Migration(
            version: 5,
            name: "service_lease",
            // Who runs the service (`ServiceLease`): the epoch fences turns of an instance that lost the lease.
            sql: """
                CREATE TABLE service_lease (
                    service TEXT PRIMARY KEY,
                    node TEXT NOT NULL,
                    epoch BIGINT NOT NULL,
                    acquired_at TIMESTAMPTZ NOT NULL,
                    previous_node TEXT,
                    failed_over_at TIMESTAMPTZ
                );
                """
        ),
    ]

    /// Applies the migrations to the database of `service`, and gives inbox rows written before migration 4
    /// their receiver.
    public static func migrate(service: String, client: PostgresClient, logger: Logger) async throws {
        try await MigrationRunner.apply(Self.migrations, namespace: "mailbox", client: client, logger: logger)
        // A row without a receiver that the service also has under its name is the same message: drop the copy.
        try await client.transaction { connection in
            try connection.query(
                "DELETE FROM inbox a WHERE a.receiver = '' AND EXISTS (SELECT 1 FROM inbox b WHERE b.receiver = $1 AND b.message_id = a.message_id)",
                [service])
            try connection.query("UPDATE inbox SET receiver = $1 WHERE receiver = ''", [service])
        }
    }

    enum Status: Int {
        case pending = 0
        case delivered = 1
        case dead = 2
    }
}

/// The mailbox's tables, created in every service database (namespace `mailbox` in `schema_migrations`).
///
/// `outbox.status`: 0 pending, 1 delivered, 2 dead letter. Rows are read by status, never by "id greater than
/// the last one seen" (ids commit out of order).
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
    ]

    enum Status: Int {
        case pending = 0
        case delivered = 1
        case dead = 2
    }
}

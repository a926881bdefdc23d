-- Events about an order whose OrderCreated has not arrived yet (they come from other services, on other
-- connections): parked here and applied, in arrival order, when it does. Nothing waits or retries.
CREATE TABLE early_events (
    seq BIGSERIAL PRIMARY KEY,
    order_id VARCHAR(255) NOT NULL,
    message_id TEXT NOT NULL,
    message_type TEXT NOT NULL,
    saga_id TEXT,
    payload TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX early_events_order ON early_events (order_id, seq);

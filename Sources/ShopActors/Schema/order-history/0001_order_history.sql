CREATE TABLE order_history (
    id VARCHAR(255) PRIMARY KEY,
    user_id VARCHAR(255) NOT NULL,
    order_items JSONB NOT NULL,
    payment_id VARCHAR(255),
    payment_method_id VARCHAR(255) NOT NULL,
    payment_type VARCHAR(255),
    payment_gateway VARCHAR(255),
    payment_sum INTEGER,
    payment_external_id VARCHAR(255),
    payment_status VARCHAR(50),
    status VARCHAR(50) NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- A user's page, newest first, optionally by status: fast at a million orders (keyset on created_at, id).
CREATE INDEX order_history_user_created ON order_history (user_id, created_at DESC, id DESC);
CREATE INDEX order_history_user_status_created ON order_history (user_id, status, created_at DESC, id DESC);

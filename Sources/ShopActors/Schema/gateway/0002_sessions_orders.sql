-- Sessions live here (the original kept them in Redis). Only a SHA-256 of the bearer token is stored, so a
-- leaked table does not hand out sessions.
CREATE TABLE sessions (
    token_hash VARCHAR(64) PRIMARY KEY,
    user_id VARCHAR(255) NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    last_activity TIMESTAMPTZ NOT NULL,
    ip_address TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Every order the gateway accepted, written in the same transaction as its SagaCreateOrder: the owner check
-- for GET /api/orders/{id}, the Idempotency-Key record, and the list a fault campaign checks against.
CREATE TABLE orders (
    id VARCHAR(255) PRIMARY KEY,
    user_id VARCHAR(255) NOT NULL,
    idempotency_key TEXT,
    request_hash VARCHAR(64) NOT NULL,
    request JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX orders_idempotency_idx ON orders (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX orders_user_idx ON orders (user_id, created_at);

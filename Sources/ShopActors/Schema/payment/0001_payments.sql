CREATE TABLE payments (
    id VARCHAR(255) PRIMARY KEY,
    order_id VARCHAR(255) NOT NULL,
    user_id VARCHAR(255) NOT NULL,
    amount INTEGER NOT NULL,
    external_id VARCHAR(255),
    status VARCHAR(50) NOT NULL,
    method_id VARCHAR(255) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    updated_at TIMESTAMP NOT NULL DEFAULT now()
);
-- One payment per order: a redelivered ProcessPayment cannot charge twice.
CREATE UNIQUE INDEX payments_order ON payments (order_id);

CREATE TABLE methods (
    id VARCHAR(255) PRIMARY KEY,
    user_id VARCHAR(255) NOT NULL,
    gateway VARCHAR(255) NOT NULL,
    payment_type VARCHAR(255) NOT NULL,
    token VARCHAR(255) NOT NULL
);

INSERT INTO methods (id, user_id, gateway, payment_type, token) VALUES
    ('method-1', 'user-1', 'sber', 'card', 'token-1'),
    ('method-2', 'user-1', 'tinkoff', 'card', 'token-2'),
    ('method-fail', 'user-1', 'fail', 'card', 'token-fail');

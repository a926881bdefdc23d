-- The order a saga is about, for lookups by order id (the gateway's order status page).
ALTER TABLE sagas ADD COLUMN order_id VARCHAR(255);
CREATE UNIQUE INDEX sagas_order ON sagas (order_id);

-- The reconciler's bookkeeping: an accepted order is confirmed once the saga service reports its saga, and
-- an order whose saga could never start (its SagaCreateOrder became a dead letter) gets a resolution, so
-- every accepted order ends somewhere visible. Orders from before start unconfirmed and are checked too.
ALTER TABLE orders ADD COLUMN saga_seen BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE orders ADD COLUMN resolution TEXT;
ALTER TABLE orders ADD COLUMN resolved_at TIMESTAMPTZ;
CREATE INDEX orders_unconfirmed ON orders (created_at) WHERE NOT saga_seen AND resolution IS NULL;

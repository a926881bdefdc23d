-- Stock per product; never negative. product-11, -12 and -13 have no stock row, as in the original.
CREATE TABLE inventory (
    product_id VARCHAR(255) PRIMARY KEY,
    quantity INTEGER NOT NULL CHECK (quantity >= 0),
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    updated_at TIMESTAMP NOT NULL DEFAULT now()
);
-- What each order reserved, so a release gives back exactly that, once.
CREATE TABLE reservations (
    order_id VARCHAR(255) NOT NULL,
    product_id VARCHAR(255) NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0),
    released BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, product_id)
);

INSERT INTO inventory (product_id, quantity) VALUES
    ('product-1', 10000), ('product-2', 20000), ('product-3', 30000);

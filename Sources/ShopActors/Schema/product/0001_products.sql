-- Categories and products, with the original's seed data (product-12 is named "product-11" there too).
CREATE TABLE categories (
    id VARCHAR(255) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE TABLE products (
    id VARCHAR(255) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    price INTEGER NOT NULL CHECK (price >= 0),
    category_id VARCHAR(255) NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT now()
);
CREATE INDEX products_category ON products (category_id, created_at DESC);

INSERT INTO categories (id, name) VALUES ('cat-1', 'cat-1'), ('cat-2', 'cat-2'), ('cat-3', 'cat-3');
INSERT INTO products (id, name, price, category_id) VALUES
    ('product-1', 'product-1', 10000, 'cat-1'),
    ('product-11', 'product-11', 10000, 'cat-1'),
    ('product-12', 'product-11', 10000, 'cat-1'),
    ('product-13', 'product-13', 10000, 'cat-1'),
    ('product-2', 'product-2', 20000, 'cat-2'),
    ('product-3', 'product-3', 30000, 'cat-3');

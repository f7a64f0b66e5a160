-- +goose Up
-- The stores' facts as last applied, newest state wins: (state_at, state_seq)
-- is the version of the state a row holds (see backorder.Version).
CREATE TABLE orders (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id          BIGINT NOT NULL REFERENCES shops (id),
    order_id         TEXT NOT NULL,
    name             TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('open', 'fulfilled', 'cancelled', 'pending', 'deleted')),
    store_status     TEXT NOT NULL DEFAULT '',
    customer_id      TEXT NOT NULL DEFAULT '',
    email            TEXT NOT NULL DEFAULT '',
    first_name       TEXT NOT NULL DEFAULT '',
    last_name        TEXT NOT NULL DEFAULT '',
    phone            TEXT NOT NULL DEFAULT '',
    shipping_method  TEXT NOT NULL DEFAULT '',
    placed_at        TIMESTAMPTZ NOT NULL,
    store_updated_at TIMESTAMPTZ NOT NULL,
    state_at         TIMESTAMPTZ NOT NULL,
    state_seq        BIGINT NOT NULL,
    redacted_at      TIMESTAMPTZ,
    UNIQUE (shop_id, order_id)
);
CREATE INDEX orders_customer ON orders (shop_id, customer_id);

CREATE TABLE order_lines (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id    BIGINT NOT NULL REFERENCES shops (id),
    order_id   TEXT NOT NULL,
    line_id    TEXT NOT NULL,
    item_id    TEXT NOT NULL,
    product_id TEXT NOT NULL DEFAULT '',
    sku        TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    quantity   INTEGER NOT NULL,
    open_units INTEGER NOT NULL,
    UNIQUE (shop_id, order_id, line_id)
);
CREATE INDEX order_lines_item ON order_lines (shop_id, item_id);

CREATE TABLE items (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id          BIGINT NOT NULL REFERENCES shops (id),
    item_id          TEXT NOT NULL,
    product_id       TEXT NOT NULL DEFAULT '',
    stock_key        TEXT NOT NULL DEFAULT '',
    sku              TEXT NOT NULL DEFAULT '',
    title            TEXT NOT NULL DEFAULT '',
    continue_selling BOOLEAN,
    quantity         INTEGER,
    deleted          BOOLEAN NOT NULL DEFAULT FALSE,
    state_at         TIMESTAMPTZ NOT NULL,
    state_seq        BIGINT NOT NULL,
    UNIQUE (shop_id, item_id)
);
CREATE INDEX items_stock_key ON items (shop_id, stock_key);

-- Levels are kept by the store's stock key (Shopify: inventory item id),
-- whether or not an item is known to map to it yet.
CREATE TABLE stock_levels (
    shop_id     BIGINT NOT NULL REFERENCES shops (id),
    stock_key   TEXT NOT NULL,
    location_id TEXT NOT NULL DEFAULT '',
    available   INTEGER,
    state_at    TIMESTAMPTZ NOT NULL,
    state_seq   BIGINT NOT NULL,
    PRIMARY KEY (shop_id, stock_key, location_id)
);

CREATE TABLE refund_lines (
    shop_id      BIGINT NOT NULL REFERENCES shops (id),
    refund_id    TEXT NOT NULL,
    line_id      TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    quantity     INTEGER NOT NULL,
    restock_type TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, refund_id, line_id)
);

-- Privacy requests: a customer's data document (personal data, erased by a
-- later redaction), or the record that a redaction was carried out.
CREATE TABLE privacy_requests (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id      BIGINT NOT NULL REFERENCES shops (id),
    inbox_id     BIGINT NOT NULL REFERENCES inbox (id),
    kind         TEXT NOT NULL CHECK (kind IN ('customer_data', 'customer_redact', 'shop_redact')),
    request_id   TEXT NOT NULL DEFAULT '',
    customer_id  TEXT NOT NULL DEFAULT '',
    document     TEXT NOT NULL DEFAULT '',
    orders       INTEGER NOT NULL DEFAULT 0,
    deliveries   INTEGER NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (inbox_id)
);

-- +goose Down
DROP TABLE privacy_requests;
DROP TABLE refund_lines;
DROP TABLE stock_levels;
DROP TABLE items;
DROP TABLE order_lines;
DROP TABLE orders;

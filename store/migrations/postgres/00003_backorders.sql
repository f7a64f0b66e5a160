-- +goose Up
-- Caps on waiting units: the shop's default, an item's override (NULL: none).
ALTER TABLE shops ADD COLUMN waiting_cap INTEGER;
ALTER TABLE items ADD COLUMN waiting_cap INTEGER;

-- One row per item backorderd reconciles: its settling marks (first and
-- last fact since the last reconcile; NULL when settled) and what the last
-- reconcile found.
CREATE TABLE item_ledgers (
    shop_id       BIGINT NOT NULL REFERENCES shops (id),
    item_id       TEXT NOT NULL,
    first_fact_at TIMESTAMPTZ,
    last_fact_at  TIMESTAMPTZ,
    level         INTEGER,
    level_at      TIMESTAMPTZ,
    projected     INTEGER NOT NULL DEFAULT 0,
    owed          INTEGER NOT NULL DEFAULT 0,
    waiting       INTEGER NOT NULL DEFAULT 0,
    shortfall     INTEGER NOT NULL DEFAULT 0,
    at_cap        BOOLEAN NOT NULL DEFAULT FALSE,
    over_cap      INTEGER NOT NULL DEFAULT 0,
    drift         INTEGER NOT NULL DEFAULT 0,
    last_cause    TEXT NOT NULL DEFAULT '',
    reconciled_at TIMESTAMPTZ,
    PRIMARY KEY (shop_id, item_id)
);
CREATE INDEX item_ledgers_marked ON item_ledgers (first_fact_at) WHERE first_fact_at IS NOT NULL;

-- A backorder: an order line that has waited at a settled reconcile, with
-- its assignment. Customer contact stays on the order (one place to erase).
CREATE TABLE backorders (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id     BIGINT NOT NULL REFERENCES shops (id),
    order_id    TEXT NOT NULL,
    line_id     TEXT NOT NULL,
    item_id     TEXT NOT NULL,
    ordered     INTEGER NOT NULL,
    backordered INTEGER NOT NULL,
    allocated   INTEGER NOT NULL DEFAULT 0,
    waiting     INTEGER NOT NULL DEFAULT 0,
    committed   INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL CHECK (status IN ('waiting', 'partially_allocated', 'allocated', 'shipped', 'cancelled')),
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (shop_id, order_id, line_id)
);
CREATE INDEX backorders_item ON backorders (shop_id, item_id);

-- The audit trail: append-only, one row per thing that happened to a
-- backorder, with its cause (the delivery, the periodic check, an operator).
CREATE TABLE backorder_events (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    backorder_id BIGINT NOT NULL REFERENCES backorders (id),
    kind         TEXT NOT NULL,
    quantity     INTEGER NOT NULL DEFAULT 0,
    detail       TEXT NOT NULL DEFAULT '',
    cause        TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX backorder_events_backorder ON backorder_events (backorder_id, id);

-- +goose Down
DROP TABLE backorder_events;
DROP TABLE backorders;
DROP TABLE item_ledgers;
ALTER TABLE items DROP COLUMN waiting_cap;
ALTER TABLE shops DROP COLUMN waiting_cap;

-- +goose Up
-- Replenishment: suppliers and their terms per item, purchase orders with
-- their lines and trail, receipts, and each waiting line's ETA.

-- How a shop reorders (the periodic run, or also right after a reconcile
-- raises an item's waiting units), whether drafts are sent at once, and how
-- long a customer may wait before both sides are told (NULL: no limit).
ALTER TABLE shops ADD COLUMN reorder TEXT NOT NULL DEFAULT 'periodic' CHECK (reorder IN ('periodic', 'immediate'));
ALTER TABLE shops ADD COLUMN po_approval TEXT NOT NULL DEFAULT 'manual' CHECK (po_approval IN ('manual', 'auto'));
ALTER TABLE shops ADD COLUMN max_wait_days INTEGER CHECK (max_wait_days > 0);

-- Suppliers are companies, shared by every shop. secret signs the JSON a
-- supplier on the http channel is sent, and verifies what it answers.
CREATE TABLE suppliers (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name           TEXT NOT NULL UNIQUE,
    email          TEXT NOT NULL DEFAULT '',
    channel        TEXT NOT NULL CHECK (channel IN ('email', 'http')),
    url            TEXT NOT NULL DEFAULT '',
    secret         TEXT NOT NULL DEFAULT '',
    lead_time_days INTEGER NOT NULL DEFAULT 14 CHECK (lead_time_days >= 0),
    currency       TEXT NOT NULL DEFAULT 'USD',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

-- A shop's terms for an item from a supplier; one preferred supplier per
-- item, the others are alternates. unit_cost is a decimal string.
CREATE TABLE item_suppliers (
    shop_id        BIGINT NOT NULL REFERENCES shops (id),
    item_id        TEXT NOT NULL,
    supplier_id    BIGINT NOT NULL REFERENCES suppliers (id),
    supplier_sku   TEXT NOT NULL DEFAULT '',
    unit_cost      TEXT NOT NULL DEFAULT '0',
    moq            INTEGER NOT NULL DEFAULT 0 CHECK (moq >= 0),
    pack_size      INTEGER NOT NULL DEFAULT 1 CHECK (pack_size >= 1),
    lead_time_days INTEGER CHECK (lead_time_days >= 0),
    safety_stock   INTEGER NOT NULL DEFAULT 0 CHECK (safety_stock >= 0),
    preferred      BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shop_id, item_id, supplier_id)
);
CREATE UNIQUE INDEX item_suppliers_preferred ON item_suppliers (shop_id, item_id) WHERE preferred;
CREATE INDEX item_suppliers_supplier ON item_suppliers (supplier_id);

-- Purchase orders, per shop and supplier. One open draft per pair gathers
-- what reordering asks for; overdue_at is the expected date the merchant
-- was last told was missed.
CREATE TABLE purchase_orders (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id       BIGINT NOT NULL REFERENCES shops (id),
    supplier_id   BIGINT NOT NULL REFERENCES suppliers (id),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'sent', 'confirmed', 'partially_received', 'received', 'cancelled')),
    revision      INTEGER NOT NULL DEFAULT 1,
    currency      TEXT NOT NULL,
    expected_at   TIMESTAMPTZ,
    send_error    TEXT NOT NULL DEFAULT '',
    cancel_reason TEXT NOT NULL DEFAULT '',
    overdue_at    TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    sent_at       TIMESTAMPTZ,
    confirmed_at  TIMESTAMPTZ,
    received_at   TIMESTAMPTZ,
    cancelled_at  TIMESTAMPTZ
);
CREATE UNIQUE INDEX purchase_orders_one_draft ON purchase_orders (shop_id, supplier_id) WHERE status = 'draft';
CREATE INDEX purchase_orders_supplier ON purchase_orders (supplier_id, id);

CREATE TABLE purchase_order_lines (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    po_id        BIGINT NOT NULL REFERENCES purchase_orders (id),
    shop_id      BIGINT NOT NULL REFERENCES shops (id),
    item_id      TEXT NOT NULL,
    sku          TEXT NOT NULL DEFAULT '',
    title        TEXT NOT NULL DEFAULT '',
    supplier_sku TEXT NOT NULL DEFAULT '',
    quantity     INTEGER NOT NULL CHECK (quantity >= 0),
    received     INTEGER NOT NULL DEFAULT 0 CHECK (received >= 0),
    unit_cost    TEXT NOT NULL DEFAULT '0',
    expected_at  TIMESTAMPTZ,
    UNIQUE (po_id, item_id)
);
CREATE INDEX purchase_order_lines_item ON purchase_order_lines (shop_id, item_id);

-- The PO's trail: sent, send_failed, confirmed, changed, received,
-- cancelled, overdue.
CREATE TABLE purchase_order_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    po_id       BIGINT NOT NULL REFERENCES purchase_orders (id),
    revision    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX purchase_order_events_po ON purchase_order_events (po_id, id);

-- Receipts, named by the client's receipt_id so that a retried request adds
-- nothing. Their units count in an item's projection until the store
-- reports a level newer than received_at.
CREATE TABLE receipts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    po_id       BIGINT NOT NULL REFERENCES purchase_orders (id),
    receipt_id  TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    UNIQUE (po_id, receipt_id)
);
CREATE TABLE receipt_lines (
    receipt_id  BIGINT NOT NULL REFERENCES receipts (id),
    shop_id     BIGINT NOT NULL REFERENCES shops (id),
    item_id     TEXT NOT NULL,
    quantity    INTEGER NOT NULL CHECK (quantity > 0),
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (receipt_id, item_id)
);
CREATE INDEX receipt_lines_item ON receipt_lines (shop_id, item_id, received_at);

-- A waiting line's ETA (a date, 00:00 UTC), its kind, and the estimate as
-- first given: an estimate does not slide a day every day.
ALTER TABLE backorders ADD COLUMN eta TIMESTAMPTZ;
ALTER TABLE backorders ADD COLUMN eta_kind TEXT NOT NULL DEFAULT 'unknown' CHECK (eta_kind IN ('confirmed', 'expected', 'estimate', 'unknown'));
ALTER TABLE backorders ADD COLUMN eta_estimate TIMESTAMPTZ;

-- Attachments of a message (a PO's CSV): JSON [{"filename","type","content"}],
-- content in base64.
ALTER TABLE emails ADD COLUMN attachments TEXT NOT NULL DEFAULT '[]';

-- +goose Down
ALTER TABLE emails DROP COLUMN attachments;
ALTER TABLE backorders DROP COLUMN eta_estimate;
ALTER TABLE backorders DROP COLUMN eta_kind;
ALTER TABLE backorders DROP COLUMN eta;
DROP TABLE receipt_lines;
DROP TABLE receipts;
DROP TABLE purchase_order_events;
DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
DROP TABLE item_suppliers;
DROP TABLE suppliers;
ALTER TABLE shops DROP COLUMN max_wait_days;
ALTER TABLE shops DROP COLUMN po_approval;
ALTER TABLE shops DROP COLUMN reorder;

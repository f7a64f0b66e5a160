-- +goose Up
-- What backorderd wants a shop's store to show, one row per thing written
-- (an order, an item's selling state, a receipt's stock, a cancellation, an
-- inventory item to resolve): the trigger upserts the wanted state in the
-- transaction that changed the facts, the store:write task writes it. A
-- state already written (wanted_hash = written_hash) is not written again.
CREATE TABLE store_writes (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shop_id      BIGINT NOT NULL REFERENCES shops (id),
    kind         TEXT NOT NULL CHECK (kind IN ('order', 'selling', 'stock', 'cancel', 'resolve')),
    subject      TEXT NOT NULL,
    wanted       TEXT NOT NULL,
    wanted_hash  TEXT NOT NULL,
    written_hash TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    written_at   TIMESTAMPTZ,
    -- While a store:write task writes the row, until when it may (one
    -- writer at a time, so that an older state never lands after a newer).
    lease_until  TIMESTAMPTZ,
    UNIQUE (shop_id, kind, subject)
);
CREATE INDEX store_writes_status ON store_writes (status, shop_id, id);

-- Polling a shop's store for what its webhooks missed: how far it has read
-- (the store's updated_at, never moving back), its last run, and when the
-- merchant was last told its order webhooks fell silent (the last webhook
-- then: one notice per silence).
CREATE TABLE store_polls (
    shop_id          BIGINT PRIMARY KEY REFERENCES shops (id),
    watermark        TIMESTAMPTZ,
    last_run_at      TIMESTAMPTZ,
    last_error       TEXT NOT NULL DEFAULT '',
    last_seen        INTEGER NOT NULL DEFAULT 0,
    last_recorded    INTEGER NOT NULL DEFAULT 0,
    silence_noticed  TIMESTAMPTZ
);

-- +goose Down
DROP TABLE store_polls;
DROP TABLE store_writes;

-- +goose Up
-- What backorderd writes back to a shop's store when it has credentials:
-- every write is on unless named in writes_off (a comma-separated list of
-- tag, hold, eta, status, selling, stock), so a shop added before write-back
-- existed, or without a word about it, gets them all.
ALTER TABLE shops ADD COLUMN writes_off TEXT NOT NULL DEFAULT '';
-- WooCommerce's order note is shown to the customer too.
ALTER TABLE shops ADD COLUMN customer_note BOOLEAN NOT NULL DEFAULT FALSE;
-- An order whose line waits past max_wait_days is cancelled in the store,
-- with its refund.
ALTER TABLE shops ADD COLUMN cancel_after_max_wait BOOLEAN NOT NULL DEFAULT FALSE;

-- A shop's credentials for its store's Admin API (a Shopify access token,
-- WooCommerce's consumer key and secret), sealed with SECRETS_KEY: never
-- stored or shown in the clear. A shop without a row works on webhooks alone.
CREATE TABLE shop_credentials (
    shop_id    BIGINT PRIMARY KEY REFERENCES shops (id),
    sealed     BYTEA NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- +goose Down
DROP TABLE shop_credentials;
ALTER TABLE shops DROP COLUMN cancel_after_max_wait;
ALTER TABLE shops DROP COLUMN customer_note;
ALTER TABLE shops DROP COLUMN writes_off;

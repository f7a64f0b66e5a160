-- +goose Up
-- The states of Shopify OAuth installs under way: each is random, names
-- the shop it was issued for, lives ten minutes and is used once (the
-- callback sets used_at), so a callback cannot be forged, replayed or
-- turned onto another shop. Old rows are purged as new ones are added.
CREATE TABLE oauth_states (
    state       TEXT PRIMARY KEY,
    shop_domain TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);
CREATE INDEX oauth_states_expires_at ON oauth_states (expires_at);

-- +goose Down
DROP TABLE oauth_states;

-- +goose Up
-- Browser sessions logged out before their expiry (POST /logout): the
-- session cookie's random nonce, kept until the cookie would have expired
-- so that a copy of it opens nothing on any replica; rows past expires_at
-- are purged as new ones are added.
CREATE TABLE revoked_sessions (
    nonce      TEXT PRIMARY KEY,
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX revoked_sessions_expires_at ON revoked_sessions (expires_at);

-- +goose Down
DROP TABLE revoked_sessions;

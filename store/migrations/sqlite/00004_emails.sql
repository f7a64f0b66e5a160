-- +goose Up
-- Every email is a row first, written in the transaction of the change that
-- calls for it; dedupe_key names the order and what the message says, so a
-- message is never written twice. Sending records the attempt before the
-- call (sending) and the provider's acceptance after it (sent).
CREATE TABLE emails (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id             INTEGER NOT NULL REFERENCES shops (id),
    kind                TEXT NOT NULL,
    dedupe_key          TEXT NOT NULL,
    order_id            TEXT NOT NULL DEFAULT '',
    to_email            TEXT NOT NULL,
    to_name             TEXT NOT NULL DEFAULT '',
    subject             TEXT NOT NULL,
    text_body           TEXT NOT NULL,
    html_body           TEXT NOT NULL,
    data                TEXT NOT NULL DEFAULT '{}',
    template_id         TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'not_sent', 'suppressed')),
    reason              TEXT NOT NULL DEFAULT '',
    attempts            INTEGER NOT NULL DEFAULT 0,
    unknown_outcomes    INTEGER NOT NULL DEFAULT 0,
    provider_message_id TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMP NOT NULL,
    sent_at             TIMESTAMP,
    UNIQUE (shop_id, dedupe_key)
);
CREATE INDEX emails_order ON emails (shop_id, order_id);

-- +goose Down
DROP TABLE emails;

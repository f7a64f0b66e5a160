-- +goose Up
-- What SendGrid's Event Webhook said about each message.
ALTER TABLE emails ADD COLUMN delivery TEXT NOT NULL DEFAULT '';
ALTER TABLE emails ADD COLUMN delivery_at TIMESTAMP;

-- Events, once each: SendGrid retries for a day and duplicates often.
CREATE TABLE email_events (
    sg_message_id TEXT NOT NULL,
    event         TEXT NOT NULL,
    occurred_at   INTEGER NOT NULL,
    email_id      INTEGER,
    reason        TEXT NOT NULL DEFAULT '',
    received_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (sg_message_id, event, occurred_at)
);

-- Addresses that bounced or complained: not mailed again until the
-- merchant clears them.
CREATE TABLE suppressions (
    shop_id    INTEGER NOT NULL REFERENCES shops (id),
    address    TEXT NOT NULL,
    reason     TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, address)
);

-- +goose Down
DROP TABLE suppressions;
DROP TABLE email_events;
ALTER TABLE emails DROP COLUMN delivery_at;
ALTER TABLE emails DROP COLUMN delivery;

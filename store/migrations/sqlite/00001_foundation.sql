-- +goose Up
-- Shops: one row per store that sends us webhooks, with the settings its
-- customer emails use. Secrets are needed in clear to compute HMACs.
CREATE TABLE shops (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    platform                TEXT NOT NULL CHECK (platform IN ('shopify', 'woocommerce')),
    domain                  TEXT NOT NULL,
    name                    TEXT NOT NULL DEFAULT '',
    webhook_secret          TEXT NOT NULL,
    webhook_secret_previous TEXT NOT NULL DEFAULT '',
    merchant_email          TEXT NOT NULL DEFAULT '',
    from_email              TEXT NOT NULL DEFAULT '',
    reply_to                TEXT NOT NULL DEFAULT '',
    time_zone               TEXT NOT NULL DEFAULT 'UTC',
    handling_days           INTEGER NOT NULL DEFAULT 1 CHECK (handling_days >= 0),
    backorder_policy        TEXT NOT NULL DEFAULT '',
    incentive               TEXT NOT NULL DEFAULT '',
    update_cadence_days     INTEGER NOT NULL DEFAULT 7 CHECK (update_cadence_days >= 0),
    template_ids            TEXT NOT NULL DEFAULT '{}',
    status                  TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'uninstalled')),
    uninstalled_at          TIMESTAMP,
    created_at              TIMESTAMP NOT NULL,
    updated_at              TIMESTAMP NOT NULL,
    UNIQUE (platform, domain)
);

-- Inbox: every accepted delivery, written before the store gets its 2xx.
-- Its task is inbox:<id>.
CREATE TABLE inbox (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id      INTEGER NOT NULL REFERENCES shops (id),
    topic        TEXT NOT NULL,
    dedupe_key   TEXT NOT NULL,
    headers      TEXT NOT NULL DEFAULT '{}',
    body         BLOB NOT NULL,
    status       TEXT NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted', 'processed', 'rejected', 'failed')),
    reason       TEXT NOT NULL DEFAULT '',
    duplicates   INTEGER NOT NULL DEFAULT 0,
    received_at  TIMESTAMP NOT NULL,
    processed_at TIMESTAMP,
    UNIQUE (shop_id, dedupe_key)
);
CREATE INDEX inbox_accepted ON inbox (received_at) WHERE status = 'accepted';

-- Outbox: every task a state change calls for, written in the same
-- transaction as that change. Its task is outbox:<id>.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    task_type  TEXT NOT NULL,
    queue      TEXT NOT NULL,
    payload    BLOB NOT NULL,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    reason     TEXT NOT NULL DEFAULT '',
    run_at     TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    done_at    TIMESTAMP
);
CREATE INDEX outbox_pending ON outbox (run_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE outbox;
DROP TABLE inbox;
DROP TABLE shops;

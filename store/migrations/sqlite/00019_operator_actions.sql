-- +goose Up
-- What operators do to backorders through the admin API. A cancelled
-- backorder's waiting units leave its item's queue: withdrawn (how many) at
-- withdrawn_at; until the store reports a level newer than that, the
-- reconcile counts them as released where the level holds their sale. A
-- prioritized backorder is at the front of its item's queue
-- (prioritized_at: the last one prioritized is served first).
ALTER TABLE backorders ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0;
ALTER TABLE backorders ADD COLUMN withdrawn_at TIMESTAMP;
ALTER TABLE backorders ADD COLUMN prioritized_at TIMESTAMP;

-- The audit of operators' actions: who (the admin token, or a login), what,
-- why and when; append-only. A reason is free text and may name the
-- customer: customers/redact erases it with the order's personal data.
CREATE TABLE operator_actions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    shop_id      INTEGER NOT NULL REFERENCES shops (id),
    backorder_id INTEGER NOT NULL REFERENCES backorders (id),
    action       TEXT NOT NULL CHECK (action IN ('cancel', 'prioritize')),
    actor        TEXT NOT NULL,
    reason       TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
CREATE INDEX operator_actions_backorder ON operator_actions (backorder_id, id);
CREATE INDEX operator_actions_shop ON operator_actions (shop_id, id);

-- +goose Down
DROP TABLE operator_actions;
ALTER TABLE backorders DROP COLUMN prioritized_at;
ALTER TABLE backorders DROP COLUMN withdrawn_at;
ALTER TABLE backorders DROP COLUMN withdrawn;

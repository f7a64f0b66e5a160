-- +goose Up
-- When the newest delivery whose facts marked an item arrived (the
-- receiver's clock), cleared with the marks: a reconcile that SETTLE_MAX
-- forces waits, briefly, until every delivery of the shop that arrived
-- before it is applied, so that it reads a consistent cut.
ALTER TABLE item_ledgers ADD COLUMN last_arrived_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE item_ledgers DROP COLUMN last_arrived_at;
